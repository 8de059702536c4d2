package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HungWorkerIT {

    @Test
    void replacesAWorkerStoppedWithSigstopWithinTheTimeout() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_HEARTBEAT_INTERVAL", "200ms",
                "FORKLINE_WORKER_TIMEOUT", "2s"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            long frozen = ready.get(1);
            int mark = forkline.mark();
            long t0 = System.nanoTime();

            ForklineProcess.signal(frozen, "STOP"); // alive, but its event loop sends nothing

            forkline.await(event("worker_killed").with("pid", frozen).with("reason", "hung"), mark, Duration.ofSeconds(4));
            long replacement = forkline.await(event("worker_respawned").with("slot", 1), mark, Duration.ofSeconds(4))
                    .number("pid");
            forkline.await(event("worker_ready").with("pid", replacement), mark, Duration.ofSeconds(30));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            System.out.println("SIGSTOPped worker replaced, ready after " + took.toMillis() + " ms");
            assertThat(ProcessHandle.of(frozen)).isEmpty();
            assertThat(forkline.events(event("worker_exited").with("pid", frozen).with("exit", "signal KILL (9)")
                    .with("cause", "hung"))).hasSize(1);
            assertThat(forkline.events(event("worker_killed").with("pid", ready.get(0))))
                    .as("the other worker, healthy, is left alone").isEmpty();
            assertThat(forkline.workerPids()).hasSize(2).contains(replacement);

            // What top and the dashboard show: the hang kill, the exit and the respawn, in order.
            io.vertx.core.json.JsonArray events = new io.vertx.core.json.JsonObject(
                    forkline.admin("GET", "/events").body()).getJsonArray("events");
            assertThat(events.stream().map(io.vertx.core.json.JsonObject.class::cast)
                    .filter(e -> e.getLong("pid") != null && (e.getLong("pid") == frozen || e.getLong("pid") == replacement))
                    .map(e -> e.getString("kind") + " " + e.getLong("pid")).toList())
                    .containsSubsequence("kill " + frozen, "exit " + frozen, "respawn " + replacement, "ready " + replacement);
            assertThat(events.stream().map(io.vertx.core.json.JsonObject.class::cast)
                    .filter(e -> "kill".equals(e.getString("kind"))).findFirst().orElseThrow().getString("message"))
                    .startsWith("SIGKILL: hung, no heartbeat for ");
        }
    }
}
