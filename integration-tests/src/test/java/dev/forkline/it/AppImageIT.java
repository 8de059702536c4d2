package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.testkit.AppJars;
import dev.forkline.testkit.SteadyLoad;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The user's application in the real image, both ways the README shows: the jar mounted as a volume,
 * and an image derived from Forkline's with the jar in it. Healthy (the HEALTHCHECK asks the admin
 * API's /readyz for an application) and served by every worker.
 */
@DockerTest
class AppImageIT {
    static final int APP_PORT = 8081;

    @Test
    void anAppJarMountedAsAVolumeIsServedByEveryWorker() throws Exception {
        Path jar = AppJars.exampleJar().toAbsolutePath();
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of(
                        "FORKLINE_WORKERS", "2",
                        "FORKLINE_APP", "/app/app.jar"))
                .withFileSystemBind(jar.toString(), "/app/app.jar", BindMode.READ_ONLY)
                .withExposedPorts(APP_PORT)) {
            forkline.start();
            servedByTwoWorkersAndHealthy(forkline);
        }
    }

    @Test
    void anImageDerivedFromForklinesWithTheJarInItServesTheApp() throws Exception {
        Path jar = AppJars.exampleJar().toAbsolutePath();
        String derived = new ImageFromDockerfile("forkline-it-app:" + Integer.toHexString(ForklineImage.ROOT.toString().hashCode()), false)
                .withFileFromPath("app.jar", jar)
                .withDockerfileFromBuilder(b -> b.from(ForklineImage.name())
                        .copy("app.jar", "/app/app.jar")
                        .env("FORKLINE_APP", "/app/app.jar")
                        .expose(APP_PORT)
                        .build())
                .get();
        try (GenericContainer<?> forkline = ForklineImage.container(derived, Map.of("FORKLINE_WORKERS", "2"))
                .withExposedPorts(APP_PORT)) {
            forkline.start();
            servedByTwoWorkersAndHealthy(forkline);
        }
    }

    private static void servedByTwoWorkersAndHealthy(GenericContainer<?> forkline) throws Exception {
        int port = forkline.getMappedPort(APP_PORT);
        try (SteadyLoad load = SteadyLoad.http("127.0.0.1", port, "/", 2, Duration.ofMillis(5),
                Duration.ofSeconds(60), 2_000)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> load.pidsSeen().size() == 2);
            SteadyLoad.Result result = load.stop();
            System.out.println("app in the container: " + result);
            assertThat(result.failed()).isZero();
            assertThat(load.answers()).allMatch(a -> a.startsWith("forkline example kv 1.0.0 from pid"));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                "healthy".equals(forkline.getCurrentContainerInfo().getState().getHealth().getStatus()));
    }
}
