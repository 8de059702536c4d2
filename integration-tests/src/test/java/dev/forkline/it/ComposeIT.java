package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.FreePorts;
import java.io.File;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.DockerComposeContainer;

/**
 * deploy/compose.yaml as a user runs it, with the local docker-compose: up, healthy, serving, down.
 * No Testcontainers ambassador and no compose image (neither can be pulled here): the test talks to
 * the port the file publishes, on 127.0.0.1.
 */
@DockerTest
class ComposeIT {

    @Test
    void composeFileBringsUpAHealthyServerThatServesSeveralWorkers() throws Exception {
        int port = FreePorts.next();
        int httpPort = FreePorts.next();
        File compose = ForklineImage.ROOT.resolve("deploy/compose.yaml").toFile();
        try (DockerComposeContainer<?> env = new DockerComposeContainer<>("forkline-it", compose)
                .withPull(false)
                .withBuild(true)
                .withEnv("FORKLINE_BASE_IMAGE", ForklineImage.baseImage())
                .withEnv("FORKLINE_PUBLISHED_PORT", Integer.toString(port))
                .withEnv("FORKLINE_PUBLISHED_HTTP_PORT", Integer.toString(httpPort))
                .withEnv("FORKLINE_WORKERS", "3")) {
            env.start();
            ContainerState service = env.getContainerByServiceName("forkline_1")
                    .or(() -> env.getContainerByServiceName("forkline"))
                    .orElseThrow();

            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
                    "healthy".equals(service.getCurrentContainerInfo().getState().getHealth().getStatus()));

            Set<Long> pids = new HashSet<>();
            for (int i = 0; i < 60; i++) {
                try (LineClient c = LineClient.connect("127.0.0.1", port)) {
                    pids.add(c.serverPid());
                    assertThat(c.send("PING")).isEqualTo("PONG");
                }
            }
            System.out.println("compose service served from worker PIDs " + pids);
            assertThat(pids).hasSize(3);
            java.net.http.HttpResponse<String> http = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + httpPort + "/")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(http.statusCode()).isEqualTo(200);
            assertThat(Long.parseLong(http.body().strip())).isIn(pids);
        }
    }
}
