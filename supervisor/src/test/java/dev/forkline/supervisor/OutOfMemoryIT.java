package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class OutOfMemoryIT {

    @Test
    void aWorkerThatRunsOutOfHeapExitsAndIsRespawned() throws Exception {
        // The worker's test hook exhausts its heap after it is ready; -XX:+ExitOnOutOfMemoryError
        // (one of the default worker flags) makes HotSpot exit with code 3 instead of limping on.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1",
                "FORKLINE_MIN_UPTIME", "0s",
                "FORKLINE_WORKER_JVM_OPTS", "-Xmx32m -Dforkline.fault=oom"))) {
            forkline.awaitLog(Pattern.compile("worker 0 pid \\d+ exited unexpectedly with code 3"), 0, Duration.ofSeconds(60));
            forkline.awaitLog(Pattern.compile("worker 0 respawned as pid \\d+"), 0, Duration.ofSeconds(30));

            JsonObject status = new JsonObject(forkline.admin("GET", "/status").body());
            assertThat(status.getJsonObject("restarts").getLong("out_of_memory")).isPositive();
            assertThat(forkline.log()).anyMatch(l -> l.contains("Terminating due to java.lang.OutOfMemoryError"));
            assertThat(forkline.process.isAlive()).as("an out-of-memory worker never halts the supervisor").isTrue();
        }
    }
}
