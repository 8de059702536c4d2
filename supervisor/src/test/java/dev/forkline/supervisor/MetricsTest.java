package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus metrics as a scrape shows them, over a simulated supervisor's snapshots. */
class MetricsTest {

    @Test
    void perWorkerCountersAreLabelledBySlotOnlyAndGoOnAcrossARespawnAndAReload() {
        // Issue 10, defect 7: labels pid, generation and role started new series at every respawn
        // and reload (and role changes during a process's life), which breaks rate().
        Simulation sim = new Simulation(new Simulation.Scenario(SupervisorRegressionTest.settings(1),
                Simulation.GenerationFate.NORMAL, java.util.List.of(Simulation.Fate.boots(50)), java.util.List.of()))
                .start().steps(new Simulation.Wait(10));
        Metrics metrics = new Metrics(sim.supervisor::snapshot);
        Map<String, Double> before = AdminApiIT.parse(metrics.scrape());
        assertThat(before).containsKey("forkline_worker_requests_total{slot=\"0\"}");
        double requests = before.get("forkline_worker_requests_total{slot=\"0\"}");
        assertThat(requests).isPositive();
        double resets = before.get("forkline_worker_client_resets_total{slot=\"0\"}");
        assertThat(resets).isPositive();
        assertThat(before).containsKey("forkline_worker_info{generation=\"1\",pid=\"1000\",role=\"serving\",slot=\"0\"}");

        sim.steps(new Simulation.Crash(0, 128 + 9), new Simulation.Wait(10),
                new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(10));
        Map<String, Double> after = AdminApiIT.parse(metrics.scrape());

        assertThat(after.get("forkline_worker_requests_total{slot=\"0\"}")).isGreaterThan(requests);
        assertThat(after.get("forkline_worker_client_resets_total{slot=\"0\"}")).isGreaterThan(resets);
        assertThat(after).containsKey("forkline_worker_info{generation=\"2\",pid=\"1002\",role=\"serving\",slot=\"0\"}")
                .doesNotContainKey("forkline_worker_info{generation=\"1\",pid=\"1000\",role=\"serving\",slot=\"0\"}");
        assertThat(after.keySet()).filteredOn(k -> k.startsWith("forkline_worker_") && !k.startsWith("forkline_worker_info")
                && !k.startsWith("forkline_worker_restarts")).allMatch(k -> k.endsWith("{slot=\"0\"}"));
    }

    @Test
    void afterAnAbandonedReloadEverySlotShowsTheGenerationThatRuns() {
        // Issue 9 review: slot 0 had moved to generation 2 when slot 1's new worker could not boot;
        // it stayed there, so the metrics showed a generation the server had abandoned.
        Simulation sim = SupervisorRegressionTest.started(SupervisorRegressionTest.settings(3),
                SupervisorRegressionTest.SECOND_NEW_WORKER_CANNOT_BOOT,
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(15));
        Map<String, Double> m = AdminApiIT.parse(new Metrics(sim.supervisor::snapshot).scrape());

        assertThat(m).containsEntry("forkline_generation", 1.0);
        assertThat(m.keySet()).filteredOn(k -> k.startsWith("forkline_worker_info{")).hasSize(3)
                .allMatch(k -> k.contains("generation=\"1\"") && k.contains("role=\"serving\""));
    }

    @Test
    void aStandbyIsAWorkerWithoutASlotThatCountsForNoSlotAndTheStatusSaysSo() {
        Simulation sim = StandbyTest.started(StandbyTest.settings(1, 1), new Simulation.Wait(10));
        long standby = StandbyTest.standbys(sim).get(0).pid;
        Map<String, Double> m = AdminApiIT.parse(new Metrics(sim.supervisor::snapshot).scrape());
        // An empty label value: Prometheus reads it as no label, so it joins no slot's counters.
        assertThat(m).containsEntry("forkline_worker_info{generation=\"1\",pid=\"" + standby + "\",role=\"standby\",slot=\"\"}", 1.0)
                .containsEntry("forkline_workers{role=\"standby\",state=\"booted\"}", 1.0)
                .containsEntry("forkline_standby_desired", 1.0)
                .containsEntry("forkline_workers_up", 1.0);
        assertThat(m.keySet()).filteredOn(k -> k.startsWith("forkline_worker_connections")).containsExactly(
                "forkline_worker_connections{slot=\"0\"}");

        io.vertx.core.json.JsonObject status = AdminServer.status(sim.supervisor.snapshot());
        assertThat(status.getInteger("standby_desired")).isEqualTo(1);
        assertThat(status.getJsonArray("workers").stream().map(io.vertx.core.json.JsonObject.class::cast)
                .filter(w -> w.getString("role").equals("standby"))).singleElement()
                .satisfies(w -> assertThat(w.containsKey("slot") && w.getValue("slot") == null).as("slot null: %s", w).isTrue());
    }
}
