package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.SteadyLoad;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;

@DockerTest
class CrashRecoveryIT {
    private static final Pattern RESPAWNED = Pattern.compile("worker \\d+ respawned as pid (\\d+)");

    @Test
    void replacesAWorkerKilledWithSigkillWhileClientsKeepConnecting() throws Exception {
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of("FORKLINE_WORKERS", "4"))) {
            forkline.start();
            int port = forkline.getMappedPort(ForklineImage.PORT);
            long victim;
            try (LineClient c = LineClient.connect("127.0.0.1", port)) {
                victim = c.serverPid();
            }

            // Fresh connections at a steady pace (4 threads, one every 10 ms each) during the kill.
            SteadyLoad load = SteadyLoad.start("127.0.0.1", port, 4, Duration.ofMillis(10), Duration.ofSeconds(30), 3000);
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > 100);
            Container.ExecResult kill = forkline.execInContainer("sh", "-c", "kill -9 " + victim);
            assertThat(kill.getExitCode()).as(kill.getStderr()).isZero();
            long killedAt = System.nanoTime();

            // A replacement serves within 5 s (the prober sees its PID) and the container stays up.
            long[] replacement = {0};
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                Matcher m = RESPAWNED.matcher(forkline.getLogs());
                if (m.find()) {
                    replacement[0] = Long.parseLong(m.group(1));
                }
                return replacement[0] != 0 && load.pidsSeen().contains(replacement[0]);
            });
            long recoveredMillis = Duration.ofNanos(System.nanoTime() - killedAt).toMillis();
            long target = load.probes() + 500;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > target);
            SteadyLoad.Result result = load.stop();

            System.out.printf("kill -9 of worker pid %d under load: replacement pid %d served after %d ms; %s%n",
                    victim, replacement[0], recoveredMillis, result);
            assertThat(forkline.isRunning()).isTrue();
            assertThat(forkline.getLogs()).contains("pid " + victim + " exited unexpectedly with signal KILL (9)");
            // Connections still queued in the kernel move to a live worker (tcp_migrate_req=1). What
            // SIGKILL can take is what the killed process itself held: a connection it had accepted
            // but not yet greeted, or a request in progress. At most one per client thread, since
            // each thread has one exchange in flight; everything else must have succeeded.
            assertThat(result.failed()).as("exchanges cut by the kill: %s", result.firstFailures())
                    .isLessThanOrEqualTo(4);
            assertThat(result.ok()).isEqualTo(result.probes() - result.failed());
        }
    }
}
