package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CrashLoopIT {

    @Test
    void restartsAWorkerThatAlwaysCrashesAtStartWithGrowingDelays() throws Exception {
        // A crash at start, before the worker says anything (exit code 1). Not with JVM options the
        // JVM refuses: those are a configuration error since the supervisor tries them at start.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1",
                "FORKLINE_WORKER_JVM_OPTS", "-Dforkline.fault=crash-at-start"))) {
            forkline.await(event("respawn_delayed").with("slot", 0).with("crashes_in_a_row", 5));

            assertThat(respawnDelays(forkline)).startsWith(100L, 200L, 400L, 800L, 1600L);
            assertThat(forkline.process.isAlive()).as("a crash loop never stops the supervisor").isTrue();
            ForklineProcess.Http status = forkline.admin("GET", "/status");
            assertThat(new io.vertx.core.json.JsonObject(status.body()).getJsonObject("restarts").getLong("crash")).isPositive();
            ForklineProcess.Http health = forkline.admin("GET", "/healthz");
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.body()).startsWith("not ready: worker 0");
        }
    }

    @Test
    void keepsBackingOffAWorkerThatDiesYoungEvenAfterItWasReady() throws Exception {
        // Ready, then dead 200 ms later, again and again: still a crash loop, delays must grow.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1",
                "FORKLINE_WORKER_JVM_OPTS", "-Dforkline.fault=crash"))) {
            forkline.await(event("respawn_delayed").with("slot", 0).with("crashes_in_a_row", 4));

            assertThat(forkline.events(event("worker_ready").with("slot", 0))).isNotEmpty();
            assertThat(respawnDelays(forkline)).startsWith(100L, 200L, 400L, 800L);
        }
    }

    /** The respawn delays the supervisor logged, in order. */
    private static List<Long> respawnDelays(ForklineProcess forkline) {
        return forkline.events(event("respawn_delayed").with("slot", 0)).stream().map(e -> e.number("delay_ms")).toList();
    }
}
