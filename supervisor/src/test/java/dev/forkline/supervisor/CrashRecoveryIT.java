package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CrashRecoveryIT {

    @Test
    void respawnsWorkerKilledWithSigkill() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "4"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            long victim = ready.get(2);
            int mark = forkline.logSize();

            ForklineProcess.signal(victim, "KILL");

            // The log names the dead PID and the signal, then the respawn and its readiness.
            forkline.awaitLog(Pattern.compile("worker 2 pid " + victim + " exited unexpectedly with signal KILL \\(9\\)"),
                    mark, Duration.ofSeconds(5));
            Matcher respawned = forkline.awaitLog(Pattern.compile("worker 2 respawned as pid (\\d+)"), mark,
                    Duration.ofSeconds(5));
            long replacement = Long.parseLong(respawned.group(1));
            forkline.awaitLog(Pattern.compile("worker 2 pid " + replacement + " ready"), mark, Duration.ofSeconds(5));

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
