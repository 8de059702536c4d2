package dev.forkline.it;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.forkline.testkit.LogEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/** docker stop: TERM reaches the supervisor through tini, every worker drains, exit 0 within the grace period. */
@DockerTest
class ImageStopIT {

    @Test
    void dockerStopDrainsEveryWorkerAndEndsWithExitCodeZeroWithinTheGracePeriod() throws Exception {
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of("FORKLINE_WORKERS", "2"))) {
            forkline.start();
            String id = forkline.getContainerId();
            int grace = 18; // deploy/compose.yaml's stop_grace_period

            long t0 = System.nanoTime();
            forkline.getDockerClient().stopContainerCmd(id).withTimeout(grace).exec();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            InspectContainerResponse.ContainerState state = forkline.getDockerClient()
                    .inspectContainerCmd(id).exec().getState();
            List<LogEvent> events = LogEvent.parseAll(forkline.getLogs());
            System.out.println("docker stop took " + took.toMillis() + " ms, exit code " + state.getExitCodeLong());
            assertThat(state.getExitCodeLong()).isZero();
            assertThat(took).isLessThan(Duration.ofSeconds(grace));
            assertThat(events).anyMatch(event("stop_started").with("trigger", "SIGTERM").with("workers", 2));
            // Exit 0 alone would also follow a SIGKILL at the deadline: each worker exited by itself.
            assertThat(events).filteredOn(event("worker_exited")).hasSize(2)
                    .allMatch(event("worker_exited").with("exit_value", 0).with("killed_because", null));
            assertThat(events).last().matches(event("stop_summary").with("exited_by_themselves", 2)
                    .with("killed", List.of()).with("exit_code", 0));
        }
    }
}
