package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
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
            forkline.await(event("worker_exited").with("slot", 0).with("exit_value", 3).with("cause", "out_of_memory"),
                    0, Duration.ofSeconds(60));
            forkline.await(event("worker_respawned").with("slot", 0), 0, Duration.ofSeconds(30));

            JsonObject status = new JsonObject(forkline.admin("GET", "/status").body());
            assertThat(status.getJsonObject("restarts").getLong("out_of_memory")).isPositive();
            // HotSpot's own line, not one of ours: plain text even in the JSON log.
            assertThat(forkline.log()).anyMatch(l -> l.contains("Terminating due to java.lang.OutOfMemoryError"));
            assertThat(forkline.process.isAlive()).as("an out-of-memory worker never halts the supervisor").isTrue();
        }
    }
}
