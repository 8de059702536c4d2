package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.SteadyLoad;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CrashRecoveryIT {

    @Test
    void killingAWorkerUnderSteadyLoadCostsAtMostTheExchangesItHeld() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "4"))) {
            long victim = forkline.awaitAllReady().get(1);
            int mark = forkline.mark();
            SteadyLoad load = SteadyLoad.start("127.0.0.1", forkline.port, 4, Duration.ofMillis(5),
                    Duration.ofSeconds(60), 20_000);
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > 300);

            ForklineProcess.signal(victim, "KILL");
            long replacement = forkline.await(event("worker_respawned").with("slot", 1), mark, Duration.ofSeconds(5))
                    .number("pid");
            await().atMost(Duration.ofSeconds(10)).until(() -> load.pidsSeen().contains(replacement));
            long target = load.probes() + 500;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > target);
            SteadyLoad.Result result = load.stop();

            System.out.printf("kill -9 of worker pid %d under load (tcp_migrate_req=%s): %s%n", victim,
                    ReloadIT.migrateReq() ? 1 : 0, result);
            // Queued connections move to live workers (tcp_migrate_req=1) or are reset (0); what the
            // killed process held itself is lost either way: one exchange per client thread at most.
            assertThat(result.failed()).as("%s", result.firstFailures()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void respawnsWorkerKilledWithSigkill() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "4"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            long victim = ready.get(2);
            int mark = forkline.mark();

            ForklineProcess.signal(victim, "KILL");

            // The log names the dead PID and the signal, then the respawn and its readiness.
            forkline.await(event("worker_exited").with("slot", 2).with("pid", victim).with("expected", false)
                    .with("exit", "signal KILL (9)").with("cause", "signal"), mark, Duration.ofSeconds(5));
            long replacement = forkline.await(event("worker_respawned").with("slot", 2), mark, Duration.ofSeconds(5))
                    .number("pid");
            forkline.await(event("worker_ready").with("slot", 2).with("pid", replacement), mark, Duration.ofSeconds(5));

            // Within 5 s of the kill the new PID serves, and there are 4 workers again.
            await().atMost(Duration.ofSeconds(5)).until(() -> servedBy(forkline.port, replacement));
            Set<Long> workers = forkline.workerPids();
            assertThat(workers).hasSize(4).contains(replacement).doesNotContain(victim);
            assertThat(forkline.process.isAlive()).isTrue();
        }
    }

    /** Opens fresh connections until one is greeted by {@code pid} (the kernel picks the worker). */
    private static boolean servedBy(int port, long pid) throws Exception {
        for (int i = 0; i < 50; i++) {
            try (LineClient c = LineClient.connect("127.0.0.1", port)) {
                if (c.serverPid() == pid) {
                    return true;
                }
            }
        }
        return false;
    }
}
