package dev.forkline.it;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.testkit.LogEvent;
import dev.forkline.testkit.SteadyLoad;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/** docker kill -s HUP: the signal reaches the supervisor through tini, and the reload loses nothing. */
@DockerTest
class ImageReloadIT {

    @Test
    void reloadsInsideTheContainerWithoutFailingAConnectionOrARequest() throws Exception {
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of("FORKLINE_WORKERS", "4"))) {
            forkline.start();
            int port = forkline.getMappedPort(ForklineImage.PORT);

            SteadyLoad load = SteadyLoad.start("127.0.0.1", port, 4, Duration.ofMillis(5), Duration.ofSeconds(90), 30_000);
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > 200);
            // docker kill -s HUP: tini (PID 1) forwards it to the supervisor.
            forkline.getDockerClient().killContainerCmd(forkline.getContainerId()).withSignal("HUP").exec();
            ForklineImage.awaitEvent(forkline, event("reload_completed").with("generation", 2), Duration.ofSeconds(120));
            long target = load.probes() + 500;
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > target);
            SteadyLoad.Result result = load.stop();

            System.out.println("SIGHUP reload inside the container under load: " + result);
            assertThat(LogEvent.parseAll(forkline.getLogs()))
                    .anyMatch(event("reload_started").with("trigger", "SIGHUP").with("generation", 2));
            assertThat(result.perPid()).as("4 old and 4 new workers served").hasSize(8);
            assertThat(result.failedConnections()).as("failed connections: %s", result.firstFailures()).isZero();
            assertThat(result.failedRequests()).as("failed requests: %s", result.firstFailures()).isZero();
        }
    }
}
