package dev.forkline.it;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.LogEvent;
import dev.forkline.testkit.SteadyLoad;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;

/**
 * kill -9 of a worker inside the image (its own kill(1), tini as PID 1, the image's AppCDS archive
 * for the replacement) while clients keep connecting. The same fault against the jar alone is
 * supervisor's CrashRecoveryIT; this one proves the image recovers as cleanly, and prints how fast.
 */
@DockerTest
class ImageCrashRecoveryIT {

    @Test
    void replacesAWorkerKilledWithSigkillInsideTheContainerWhileClientsKeepConnecting() throws Exception {
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of("FORKLINE_WORKERS", "4"))) {
            forkline.start();
            int port = forkline.getMappedPort(ForklineImage.PORT);
            long victim;
            try (LineClient c = LineClient.connect("127.0.0.1", port)) {
                victim = c.serverPid();
            }

            // Fresh connections at a steady pace (4 threads, one every 10 ms each) during the kill.
            SteadyLoad load = SteadyLoad.start("127.0.0.1", port, 4, Duration.ofMillis(10), Duration.ofSeconds(240), 6000);
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > 100);
            Container.ExecResult kill = forkline.execInContainer("sh", "-c", "kill -9 " + victim);
            assertThat(kill.getExitCode()).as(kill.getStderr()).isZero();
            long killedAt = System.nanoTime();

            // A replacement is respawned, boots and serves, and the container stays up. How long
            // that takes is printed; the bound is readiness, not a time (on a loaded machine a
            // worker's boot alone has taken 8 s).
            long replacement = ForklineImage.awaitEvent(forkline, event("worker_respawned"), Duration.ofSeconds(30))
                    .number("pid");
            ForklineImage.awaitEvent(forkline, event("worker_ready").with("pid", replacement), Duration.ofSeconds(120));
            await().atMost(Duration.ofSeconds(30)).until(() -> load.pidsSeen().contains(replacement));
            long recoveredMillis = Duration.ofNanos(System.nanoTime() - killedAt).toMillis();
            long target = load.probes() + 500;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > target);
            SteadyLoad.Result result = load.stop();

            System.out.printf("kill -9 of worker pid %d under load: replacement pid %d served after %d ms; %s%n",
                    victim, replacement, recoveredMillis, result);
            assertThat(forkline.isRunning()).isTrue();
            assertThat(LogEvent.parseAll(forkline.getLogs())).anyMatch(event("worker_exited").with("pid", victim)
                    .with("exit", "signal KILL (9)").with("expected", false));
            // Connections still queued in the kernel move to a live worker (tcp_migrate_req=1). What
            // SIGKILL can take is what the killed process itself held: a connection it had accepted
            // but not yet greeted, or a request in progress. At most one per client thread, since
            // each thread has one exchange in flight.
            assertThat(result.failed()).as("exchanges cut by the kill: %s", result.firstFailures())
                    .isLessThanOrEqualTo(4);
            assertThat(result.perPid().get(replacement)).as("probes the replacement served").isPositive();
        }
    }
}
