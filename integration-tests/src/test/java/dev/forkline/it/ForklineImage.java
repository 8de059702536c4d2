package dev.forkline.it;

import dev.forkline.testkit.LogEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The real image, built from deploy/Dockerfile with the jar Maven just built, and containers of it
 * configured as deploy/compose.yaml configures them (init, tcp_migrate_req=1).
 */
final class ForklineImage {
    static final Path ROOT = Path.of(System.getProperty("forkline.root", "..")).toAbsolutePath().normalize();
    static final int PORT = 3000;
    static final String PROVISIONED_BASE = "forkline/jre:17";
    private static String image;

    private ForklineImage() {
    }

    /**
     * BASE_IMAGE for the Dockerfile: FORKLINE_BASE_IMAGE when set; else the image
     * .ci/provision-docker.sh builds, when this machine has it; else the Dockerfile's default.
     */
    static String baseImage() {
        String base = System.getenv("FORKLINE_BASE_IMAGE");
        if (base != null && !base.isBlank()) {
            return base;
        }
        try {
            DockerClientFactory.instance().client().inspectImageCmd(PROVISIONED_BASE).exec();
            return PROVISIONED_BASE;
        } catch (RuntimeException e) {
            return "eclipse-temurin:17-jre";
        }
    }

    /** Builds the image once per test run. */
    static synchronized String name() {
        if (image == null) {
            Path jar = ROOT.resolve("supervisor/target/forkline.jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: run ./mvnw verify from the root");
            }
            // One tag per checkout: test runs of two checkouts on one engine must not build over
            // each other's image.
            String tag = "forkline-it:" + Integer.toHexString(ROOT.toString().hashCode());
            image = new ImageFromDockerfile(tag, false)
                    .withFileFromPath("deploy/Dockerfile", ROOT.resolve("deploy/Dockerfile"))
                    .withFileFromPath("deploy/healthcheck.sh", ROOT.resolve("deploy/healthcheck.sh"))
                    .withFileFromPath("supervisor/target/forkline.jar", jar)
                    .withFileFromPath("supervisor/target/native", ROOT.resolve("supervisor/target/native"))
                    .withDockerfilePath("deploy/Dockerfile")
                    .withBuildArg("BASE_IMAGE", baseImage())
                    .get();
        }
        return image;
    }

    /**
     * A container of the image with {@code env}, as Compose runs it: tini as PID 1 (a PID 1 java
     * ignores signals it has no handler for) and tcp_migrate_req=1 in its network namespace.
     * Logs JSON events; ready when the supervisor logs that every worker is ready.
     */
    @SuppressWarnings("resource") // closed by the caller
    static GenericContainer<?> container(Map<String, String> env) {
        return container(name(), env);
    }

    /** The same, from another image (one derived from Forkline's). */
    @SuppressWarnings("resource") // closed by the caller
    static GenericContainer<?> container(String image, Map<String, String> env) {
        java.util.Map<String, String> withJsonLog = new java.util.HashMap<>(env);
        withJsonLog.putIfAbsent("FORKLINE_LOG_FORMAT", "json");
        return new GenericContainer<>(image)
                .withEnv(withJsonLog)
                .withExposedPorts(PORT)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withInit(true)
                        .withSysctls(Map.of("net.ipv4.tcp_migrate_req", "1")))
                .withLogConsumer(ForklineImage::echo)
                .waitingFor(Wait.forLogMessage(".*\"event\":\"all_ready\".*\\n", 1)
                        .withStartupTimeout(Duration.ofSeconds(120)));
    }

    /** Waits for the first event of the container's log that matches (its JSON log, see {@link #container}). */
    static LogEvent awaitEvent(GenericContainer<?> container, Predicate<LogEvent> matcher, Duration timeout) {
        LogEvent[] found = {null};
        Awaitility.await(matcher.toString()).atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            found[0] = LogEvent.parseAll(container.getLogs()).stream().filter(matcher).findFirst().orElse(null);
            return found[0] != null;
        });
        return found[0];
    }

    private static void echo(OutputFrame frame) {
        if (frame.getType() != OutputFrame.OutputType.END) {
            System.out.print("    container| " + frame.getUtf8String());
        }
    }
}
