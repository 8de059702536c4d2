package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.protocol.LineClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code /metrics} as Prometheus's own linter sees it: {@code promtool check metrics}. */
@NeedsPrograms(value = "promtool", packages = "prometheus")
class PromtoolIT {

    @Test
    void metricsPassPromtoolCheckWithEveryWorkerFigurePresent() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2", "FORKLINE_HEARTBEAT_INTERVAL", "100ms"))) {
            forkline.awaitAllReady();
            try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
                c.send("PING");
            }
            // Every series present: the JVM's figures come once the workers have read their MX beans.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    forkline.admin("GET", "/metrics").body().contains("forkline_worker_cpu_seconds_total{"));
            String metrics = forkline.admin("GET", "/metrics").body();

            Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
            promtool.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
            promtool.getOutputStream().close();
            assertThat(promtool.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String said = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(said).as("promtool's findings").isEmpty();
            assertThat(promtool.exitValue()).isZero();
        }
    }
}
