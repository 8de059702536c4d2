package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.protocol.LineClient;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/** The kernel spreads connections over the workers inside the container's network namespace too. */
@DockerTest
class ImageLoadBalancingIT {

    @Test
    void kernelSpreadsConnectionsAcrossFourWorkersInsideTheContainer() throws Exception {
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of("FORKLINE_WORKERS", "4"))) {
            forkline.start();
            int port = forkline.getMappedPort(ForklineImage.PORT);

            Map<Long, Integer> perPid = new HashMap<>();
            int connections = 400;
            for (int i = 0; i < connections; i++) {
                try (LineClient c = LineClient.connect("127.0.0.1", port)) {
                    perPid.merge(c.serverPid(), 1, Integer::sum);
                }
            }

            System.out.println("connections per worker PID (container PIDs): " + perPid);
            assertThat(perPid).hasSize(4);
            int fair = connections / 4;
            assertThat(perPid.values()).allSatisfy(n -> assertThat(n).isBetween(fair / 2, fair * 3 / 2));
        }
    }
}
