package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.supervisor.apps.FailingVerticle;
import dev.forkline.supervisor.apps.MisbehavingVerticle;
import dev.forkline.supervisor.apps.TestApps;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import dev.forkline.testkit.SteadyLoad;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An unmodified Vert.x verticle, run by Forkline in N processes on one port. */
class AppServingIT {

    @Test
    void theExampleAppServesFromEveryWorkerOnItsOwnPort(@TempDir Path dir) throws Exception {
        int appPort = FreePorts.next();
        Path config = TestApps.config(dir, "kv.json", new JsonObject().put("port", appPort).put("host", "127.0.0.1"));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "3",
                "FORKLINE_APP", TestApps.example(dir, "kv.jar", "1.0.0").toString(),
                "FORKLINE_APP_CONFIG", config.toString()))) {
            Set<Long> ready = new HashSet<>(forkline.awaitAllReady().values());
            assertThat(forkline.events(event("all_ready").with("workers", 3).with("listen", "127.0.0.1:" + appPort)))
                    .hasSize(1);

            // Fresh connections: the kernel picks a worker for each, as for the built-in server.
            try (SteadyLoad load = SteadyLoad.http("127.0.0.1", appPort, "/", 2, Duration.ofMillis(2),
                    Duration.ofSeconds(30), 2_000)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> load.pidsSeen().containsAll(ready));
                SteadyLoad.Result result = load.stop();
                assertThat(result.failed()).as("%s", result).isZero();
                assertThat(result.perPid().keySet()).isEqualTo(ready);
            }
            // One listening socket per worker on the app's port, none in the supervisor.
            Map<Long, Integer> listeners = ForklineProcess.listenersOn(appPort, union(ready, forkline.pid()));
            assertThat(listeners).containsOnlyKeys(ready).allSatisfy((pid, n) -> assertThat(n).isEqualTo(1));

            // The app's connections and requests count in each worker's figures, with no app code for it.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonObject status = new JsonObject(forkline.admin("GET", "/status").body());
                assertThat(status.getString("listen")).isEqualTo("127.0.0.1:" + appPort);
                assertThat(status.getJsonArray("workers")).allSatisfy(w -> {
                    JsonObject worker = (JsonObject) w;
                    assertThat(worker.getLong("accepted")).isPositive();
                    assertThat(worker.getLong("http_requests")).isPositive();
                });
            });
        }
    }

    /** The settings that run MisbehavingVerticle, its HTTP server on httpPort, its TCP server on netPort; more settings as pairs. */
    private static Map<String, String> misbehavingApp(Path dir, int httpPort, int netPort, String... more) throws Exception {
        Path config = TestApps.config(dir, "app.json", new JsonObject().put("port", httpPort).put("netPort", netPort));
        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "FORKLINE_APP", TestApps.jar(dir, "app.jar", MisbehavingVerticle.class).toString(),
                "FORKLINE_APP_CONFIG", config.toString()));
        for (int i = 0; i + 1 < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        return settings;
    }

    @Test
    void aNetServerAndAnHttpServerWithDefaultOptionsBothBecomeReusePort(@TempDir Path dir) throws Exception {
        int httpPort = FreePorts.next();
        int netPort = FreePorts.next();
        try (ForklineProcess forkline = ForklineProcess.start(misbehavingApp(dir, httpPort, netPort,
                "FORKLINE_WORKERS", "2"))) {
            Set<Long> ready = new HashSet<>(forkline.awaitAllReady().values());

            Set<Long> greeted = new HashSet<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (Socket s = new Socket("127.0.0.1", netPort);
                     BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
                    greeted.add(Long.parseLong(in.readLine().replace("pid ", "")));
                }
                return greeted.containsAll(ready);
            });
            assertThat(ForklineProcess.listenersOn(netPort, ready)).containsOnlyKeys(ready);
            assertThat(ForklineProcess.listenersOn(httpPort, ready)).containsOnlyKeys(ready);
            // What the app printed is in the log, one line each, tagged with the worker that printed it.
            for (long pid : ready) {
                assertThat(forkline.events(e -> "worker".equals(e.process()) && e.pid() == pid && e.level().equals("INFO")
                        && e.message().endsWith("misbehaving verticle listening on " + httpPort))).isNotEmpty();
            }
        }
    }

    @Test
    void anAppsBytesInAndOutAreEveryByteAtTheSocketHeadersIncluded(@TempDir Path dir) throws Exception {
        int httpPort = FreePorts.next();
        int netPort = FreePorts.next();
        try (ForklineProcess forkline = ForklineProcess.start(misbehavingApp(dir, httpPort, netPort,
                "FORKLINE_WORKERS", "1", "FORKLINE_HEARTBEAT_INTERVAL", "100ms"))) {
            forkline.awaitAllReady();
            String request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: counted-with-the-headers\r\n"
                    + "Connection: close\r\n\r\n";
            long received;
            try (Socket s = new Socket("127.0.0.1", httpPort)) {
                s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                received = s.getInputStream().readAllBytes().length; // the response, until the app closes
            }
            long greeting;
            try (Socket s = new Socket("127.0.0.1", netPort)) {
                greeting = s.getInputStream().readAllBytes().length; // "pid N\n", then the app ends the socket
            }
            long sent = request.length();
            long answered = received + greeting;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonObject w = new JsonObject(forkline.admin("GET", "/status").body()).getJsonArray("workers").getJsonObject(0);
                // Vert.x's metrics SPI would count the body only ("pid N\n"), and in steps of 4 KiB.
                assertThat(w.getLong("bytes_in")).isEqualTo(sent);
                assertThat(w.getLong("bytes_out")).isEqualTo(answered);
            });
        }
    }

    @Test
    void aWorkerKilledWithSigkillIsRespawnedAndServesTheAppAgain(@TempDir Path dir) throws Exception {
        int appPort = FreePorts.next();
        Path config = TestApps.config(dir, "kv.json", new JsonObject().put("port", appPort).put("host", "127.0.0.1"));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_APP", TestApps.example(dir, "kv.jar", "1.0.0").toString(),
                "FORKLINE_APP_CONFIG", config.toString()))) {
            long victim = forkline.awaitAllReady().get(1);
            int mark = forkline.mark();

            ForklineProcess.signal(victim, "KILL");

            long replacement = forkline.await(event("worker_respawned").with("slot", 1), mark, Duration.ofSeconds(30))
                    .number("pid");
            forkline.await(event("worker_ready").with("slot", 1).with("pid", replacement), mark, Duration.ofSeconds(60));
            try (SteadyLoad load = SteadyLoad.http("127.0.0.1", appPort, "/", 2, Duration.ofMillis(2),
                    Duration.ofSeconds(30), 2_000)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> load.pidsSeen().contains(replacement));
                assertThat(load.stop().failed()).isZero();
            }
        }
    }

    @Test
    void theVerticleSettingWinsOverTheManifestAndLibrariesComeFromTheAppClasspath(@TempDir Path dir) throws Exception {
        int appPort = FreePorts.next();
        // The manifest names a verticle that fails; FORKLINE_APP_VERTICLE names the one to run, whose
        // superclass is in a library jar listed (as dir/*) in FORKLINE_APP_CLASSPATH.
        Path jar = TestApps.jarOf(dir, "app.jar", "split", Map.of("Main-Verticle", FailingVerticle.class.getName()));
        java.nio.file.Files.createDirectories(dir.resolve("lib"));
        TestApps.jarOf(dir.resolve("lib"), "greetings.jar", "lib", Map.of());
        Path config = TestApps.config(dir, "app.json", new JsonObject().put("port", appPort));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_APP", jar.toString(),
                "FORKLINE_APP_VERTICLE", "dev.forkline.supervisor.apps.split.SplitVerticle",
                "FORKLINE_APP_CLASSPATH", dir.resolve("lib") + "/*",
                "FORKLINE_APP_CONFIG", config.toString()))) {
            forkline.awaitAllReady();
            try (SteadyLoad load = SteadyLoad.http("127.0.0.1", appPort, "/", 1, Duration.ofMillis(2),
                    Duration.ofSeconds(30), 20)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> load.answers().size() >= 10);
                SteadyLoad.Result result = load.stop();
                assertThat(result.failed()).isZero();
                assertThat(load.answers()).isNotEmpty().allMatch(a -> a.startsWith("hello from a library, pid "));
            }
        }
    }

    @Test
    void aFatJarBundlingForklinesOwnVertxVersionRunsOnForklinesCopy(@TempDir Path dir) throws Exception {
        // The example with all of vertx-core 5.0.7 inside, as a shaded start.vertx.io build has it.
        Path core = Path.of(io.vertx.core.Vertx.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, byte[]> entries = new java.util.HashMap<>();
        try (java.util.jar.JarFile jf = new java.util.jar.JarFile(core.toFile())) {
            for (java.util.jar.JarEntry e : (Iterable<java.util.jar.JarEntry>) jf.stream()::iterator) {
                if (!e.isDirectory() && !e.getName().startsWith("META-INF/MANIFEST")) {
                    try (var in = jf.getInputStream(e)) {
                        entries.put(e.getName(), in.readAllBytes());
                    }
                }
            }
        }
        Path fat = dev.forkline.testkit.AppJars.withEntries(TestApps.example(dir, "thin.jar", "1.0.0"), dir.resolve("fat.jar"), entries);
        int appPort = FreePorts.next();
        Path config = TestApps.config(dir, "kv.json", new JsonObject().put("port", appPort).put("host", "127.0.0.1"));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_APP", fat.toString(),
                "FORKLINE_APP_CONFIG", config.toString()))) {
            forkline.awaitAllReady();
            try (SteadyLoad load = SteadyLoad.http("127.0.0.1", appPort, "/", 1, Duration.ofMillis(2),
                    Duration.ofSeconds(30), 20)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> load.answers().size() >= 10);
                assertThat(load.stop().failed()).isZero();
                assertThat(load.answers()).isNotEmpty().allMatch(a -> a.startsWith("forkline example kv 1.0.0"));
            }
        }
    }

    private static Set<Long> union(Set<Long> pids, long more) {
        Set<Long> all = new HashSet<>(pids);
        all.add(more);
        return all;
    }
}
