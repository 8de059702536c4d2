package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

@DockerTest
class GracefulStopIT {

    @Test
    void dockerStopEndsWithExitCodeZeroWithinTheGracePeriod() throws Exception {
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of("FORKLINE_WORKERS", "2"))) {
            forkline.start();
            String id = forkline.getContainerId();
            int grace = 15;

            long t0 = System.nanoTime();
            forkline.getDockerClient().stopContainerCmd(id).withTimeout(grace).exec();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            InspectContainerResponse.ContainerState state = forkline.getDockerClient()
                    .inspectContainerCmd(id).exec().getState();
            String logs = forkline.getLogs();
            System.out.println("docker stop took " + took.toMillis() + " ms, exit code " + state.getExitCodeLong());
            assertThat(state.getExitCodeLong()).isZero();
            assertThat(took).isLessThan(Duration.ofSeconds(grace));
            assertThat(logs).contains("SIGTERM: stopping 2 workers")
                    .contains("worker 0 pid").contains("exited with code 0")
                    .contains("all workers stopped (2 exited by themselves, none killed); exiting with code 0");
        }
    }
}
