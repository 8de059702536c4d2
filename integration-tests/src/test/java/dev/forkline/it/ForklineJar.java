package dev.forkline.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The real {@code forkline.jar} run on this machine ({@code java -jar}, as a user runs it) for the
 * tests that tie deployment files to the code without a container: its admin API and HTTP facet
 * answer exactly what the shipped build serves. Settings come in as the environment and as system
 * properties (which win over a FORKLINE_CONFIG file, as in production). {@link #close()} ends only
 * the processes it started.
 */
final class ForklineJar implements AutoCloseable {
    private final Process process;
    private final Path log;
    final int port;
    final int httpPort;
    final int adminPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ForklineJar(Process process, Path log, int port, int httpPort, int adminPort) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.httpPort = httpPort;
        this.adminPort = adminPort;
    }

    static Path jar() {
        String p = System.getProperty("forkline.jar");
        if (p == null) {
            throw new IllegalStateException("system property forkline.jar is not set (run through Maven failsafe)");
        }
        return Path.of(p);
    }

    /**
     * Starts the jar with {@code env} as its only FORKLINE_* environment, on free loopback ports
     * (given as system properties, so that they win over any FORKLINE_CONFIG file), with one worker,
     * and waits until {@code /readyz} answers 200.
     */
    static ForklineJar start(Map<String, String> env) throws IOException {
        int port = freePort();
        int httpPort = freePort();
        int adminPort = freePort();
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-DFORKLINE_HOST=127.0.0.1",
                "-DFORKLINE_PORT=" + port,
                "-DFORKLINE_HTTP_PORT=" + httpPort,
                "-DFORKLINE_ADMIN_HOST=127.0.0.1",
                "-DFORKLINE_ADMIN_PORT=" + adminPort,
                "-DFORKLINE_WORKERS=1",
                "-jar", jar().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("FORKLINE_"));
        pb.environment().putAll(env);
        Path log = Files.createTempFile("forkline-jar", ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        ForklineJar jar = new ForklineJar(pb.start(), log, port, httpPort, adminPort);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptionsInstanceOf(UncheckedIOException.class).until(() -> {
                if (!jar.process.isAlive()) {
                    throw new IllegalStateException("forkline exited with code " + jar.process.exitValue()
                            + " before it was ready; its log:\n" + jar.log());
                }
                return jar.get(adminPort, "/readyz").statusCode() == 200;
            });
        } catch (RuntimeException | Error e) {
            jar.close();
            throw e;
        }
        return jar;
    }

    /** GET on one of this jar's ports, with no header but Host; an exception when nothing answers. */
    HttpResponse<String> get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("nothing answers GET http://127.0.0.1:" + port + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        List<ProcessHandle> workers = process.toHandle().descendants().toList();
        process.destroy(); // SIGTERM: the supervisor drains its workers and exits
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        workers.forEach(ProcessHandle::destroyForcibly);
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // a temporary file
        }
    }
}
