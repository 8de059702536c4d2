package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HungWorkerIT {

    @Test
    void replacesAWorkerStoppedWithSigstopWithinTheTimeout() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_HEARTBEAT_INTERVAL", "200ms",
                "FORKLINE_WORKER_TIMEOUT", "2s"))) {
            long frozen = forkline.awaitAllReady().get(1);
            int mark = forkline.logSize();
            long t0 = System.nanoTime();

            ForklineProcess.signal(frozen, "STOP"); // alive, but its event loop sends nothing

            forkline.awaitLog(Pattern.compile("worker 1 pid " + frozen + " hung \\(no heartbeat for \\d+ ms\\): SIGKILL"),
                    mark, Duration.ofSeconds(4));
            var respawned = forkline.awaitLog(Pattern.compile("worker 1 respawned as pid (\\d+)"), mark, Duration.ofSeconds(4));
            long replacement = Long.parseLong(respawned.group(1));
            forkline.awaitLog(Pattern.compile("worker 1 pid " + replacement + " ready"), mark, Duration.ofSeconds(30));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            System.out.println("SIGSTOPped worker replaced, ready after " + took.toMillis() + " ms");
            assertThat(ProcessHandle.of(frozen)).isEmpty();
            assertThat(forkline.log()).anyMatch(l -> l.contains("pid " + frozen + " exited unexpectedly with signal KILL (9) (hung)"));
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
