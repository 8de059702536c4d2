package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CrashLoopIT {
    private static final Pattern DELAY = Pattern.compile("worker 0 died \\d+ ms after start \\(crash (\\d+) in a row\\): respawning in (\\d+) ms");

    @Test
    void restartsAWorkerThatAlwaysCrashesAtStartWithGrowingDelays() throws Exception {
        // A crash at start, before the worker says anything (exit code 1). Not with JVM options the
        // JVM refuses: those are a configuration error since the supervisor tries them at start.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1",
                "FORKLINE_WORKER_JVM_OPTS", "-Dforkline.fault=crash-at-start"))) {
            forkline.awaitLog(Pattern.compile("crash 5 in a row"), 0, Duration.ofSeconds(30));

            List<Long> delays = respawnDelays(forkline);
            assertThat(delays).startsWith(100L, 200L, 400L, 800L, 1600L);
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
            forkline.awaitLog(Pattern.compile("crash 4 in a row"), 0, Duration.ofSeconds(60));

            List<Long> delays = respawnDelays(forkline);
            assertThat(forkline.log()).anyMatch(l -> l.contains("worker 0 pid") && l.contains(" ready in "));
            assertThat(delays).startsWith(100L, 200L, 400L, 800L);
        }
    }

    /** The respawn delays the supervisor logged, in order. */
    private static List<Long> respawnDelays(ForklineProcess forkline) {
        List<Long> delays = new ArrayList<>();
        for (String line : forkline.log()) {
            Matcher m = DELAY.matcher(line);
            if (m.find()) {
                delays.add(Long.parseLong(m.group(2)));
            }
        }
        return delays;
    }
}
