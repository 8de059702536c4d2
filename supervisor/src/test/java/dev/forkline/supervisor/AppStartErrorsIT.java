package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import dev.forkline.testkit.LogEvent;
import dev.forkline.supervisor.apps.FailingVerticle;
import dev.forkline.supervisor.apps.NotAVerticle;
import dev.forkline.supervisor.apps.SloppyListenVerticle;
import dev.forkline.supervisor.apps.SloppyTlsVerticle;
import dev.forkline.supervisor.apps.StaticInitFailingVerticle;
import dev.forkline.supervisor.apps.TestApps;
import dev.forkline.supervisor.apps.ThrowingVerticle;
import dev.forkline.testkit.AppJars;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application that cannot run is refused at start: a bad setting with one line and exit 2 before
 * any worker starts; an app whose start fails halts with its own message in one line and exit 4.
 */
class AppStartErrorsIT {
    @TempDir
    Path dir;

    private void refused(Map<String, String> settings, String message) throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(settings)) {
            int code = forkline.awaitExit(Duration.ofSeconds(30));
            List<String> log = forkline.log();
            assertThat(code).as("%s", log).isEqualTo(2);
            assertThat(log).as("one line").hasSize(1);
            assertThat(forkline.events()).singleElement().matches(event("config_error").level("ERROR"))
                    .satisfies(e -> assertThat(e.message()).contains(message));
            assertThat(forkline.spawnedPids()).isEmpty();
            assertThat(forkline.process.toHandle().descendants()).isEmpty();
        }
    }

    @Test
    void aMissingJarIsAConfigurationError() throws Exception {
        refused(Map.of("FORKLINE_APP", dir + "/nope.jar"),
                "FORKLINE_APP=" + dir + "/nope.jar is invalid: expected a readable application jar file");
    }

    @Test
    void aFileThatIsNotAJarIsAConfigurationError() throws Exception {
        Path text = Files.writeString(dir.resolve("app.jar"), "not a zip");
        refused(Map.of("FORKLINE_APP", text.toString()), "FORKLINE_APP=" + text + " is invalid: expected a jar file");
    }

    @Test
    void aJarThatNamesNoVerticleIsAConfigurationError() throws Exception {
        Path jar = TestApps.jar(dir, "app.jar", null);
        refused(Map.of("FORKLINE_APP", jar.toString()), "FORKLINE_APP=" + jar
                + " is invalid: expected a jar whose manifest names its verticle (Main-Verticle: com.example.MainVerticle)");
    }

    @Test
    void aClassThatIsNotThereIsAConfigurationError() throws Exception {
        Path jar = TestApps.jar(dir, "app.jar", FailingVerticle.class);
        refused(Map.of("FORKLINE_APP", jar.toString(), "FORKLINE_APP_VERTICLE", "com.example.Nope"),
                "FORKLINE_APP_VERTICLE=com.example.Nope is invalid: expected a class in FORKLINE_APP");
    }

    @Test
    void aClassThatIsNotAVerticleIsAConfigurationError() throws Exception {
        Path jar = TestApps.jar(dir, "app.jar", NotAVerticle.class);
        refused(Map.of("FORKLINE_APP", jar.toString()), "FORKLINE_APP (Main-Verticle)=" + NotAVerticle.class.getName()
                + " is invalid: expected a Vert.x verticle");
    }

    @Test
    void anAppConfigThatIsNotJsonIsAConfigurationError() throws Exception {
        Path jar = TestApps.jar(dir, "app.jar", FailingVerticle.class);
        Path config = Files.writeString(dir.resolve("app.json"), "{\"port\": 80,");
        refused(Map.of("FORKLINE_APP", jar.toString(), "FORKLINE_APP_CONFIG", config.toString()),
                "FORKLINE_APP_CONFIG=" + config + " is invalid: expected a JSON object");
    }

    @Test
    void anAppSettingWithoutTheAppIsAConfigurationError() throws Exception {
        refused(Map.of("FORKLINE_APP_VERTICLE", "com.example.Main"),
                "FORKLINE_APP_VERTICLE=com.example.Main is invalid: expected nothing while FORKLINE_APP is unset");
    }

    @Test
    void aJarBundlingAnotherVertxIsRefusedUpFront() throws Exception {
        Path jar = AppJars.withEntries(TestApps.jar(dir, "thin.jar", FailingVerticle.class), dir.resolve("fat.jar"), Map.of(
                "io/vertx/core/Vertx.class", new byte[] {(byte) 0xCA, (byte) 0xFE},
                "META-INF/vertx/vertx-version.txt", "4.5.10".getBytes(StandardCharsets.UTF_8)));
        refused(Map.of("FORKLINE_APP", jar.toString()), "FORKLINE_APP=" + jar + " is invalid: it bundles Vert.x 4.5.10");
    }

    @Test
    void aThinJarShadingAVertxModuleOfAnotherVersionIsRefusedUpFront() throws Exception {
        Path jar = AppJars.withEntries(TestApps.jar(dir, "thin.jar", FailingVerticle.class), dir.resolve("shaded.jar"), Map.of(
                "META-INF/maven/io.vertx/vertx-web/pom.properties",
                "groupId=io.vertx\nartifactId=vertx-web\nversion=4.5.3\n".getBytes(StandardCharsets.UTF_8)));
        refused(Map.of("FORKLINE_APP", jar.toString()), "FORKLINE_APP=" + jar + " is invalid: it bundles Vert.x 4.5.3 (vertx-web)");
    }

    @Test
    void aVerticleWhoseSuperclassIsInAJarNotListedIsAConfigurationError() throws Exception {
        Path jar = TestApps.jarOf(dir, "app.jar", "split",
                Map.of("Main-Verticle", "dev.forkline.supervisor.apps.split.SplitVerticle"));
        refused(Map.of("FORKLINE_APP", jar.toString()), "the class cannot be loaded (java.lang.NoClassDefFoundError:"
                + " dev/forkline/supervisor/apps/lib/GreetingBase); add the jar it needs to FORKLINE_APP_CLASSPATH");
    }

    @Test
    void aMissingConfigFileIsAConfigurationError() throws Exception {
        Path jar = TestApps.jar(dir, "app.jar", FailingVerticle.class);
        refused(Map.of("FORKLINE_APP", jar.toString(), "FORKLINE_APP_CONFIG", dir + "/nope.json"),
                "FORKLINE_APP_CONFIG=" + dir + "/nope.json is invalid: expected a readable JSON file");
    }

    private void haltsWith(Map<String, String> settings, String... fragments) throws Exception {
        Map<String, String> all = new HashMap<>(settings);
        all.put("FORKLINE_WORKERS", "2");
        try (ForklineProcess forkline = ForklineProcess.start(all)) {
            int code = forkline.awaitExit(Duration.ofSeconds(60));
            assertThat(code).isEqualTo(4);
            List<LogEvent> halting = forkline.events(event("boot_error").fromSupervisor().with("halt", true));
            assertThat(halting).as("%s", forkline.log()).hasSize(1);
            for (String f : fragments) {
                assertThat(halting.get(0).message()).contains(f);
            }
            assertThat(forkline.events(event("worker_respawned"))).isEmpty();
            assertThat(forkline.spawnedPids()).allSatisfy(pid ->
                    assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
        }
    }

    @Test
    void anAppWhoseStartFailsHaltsWithItsOwnMessage() throws Exception {
        haltsWith(Map.of("FORKLINE_APP", TestApps.jar(dir, "app.jar", FailingVerticle.class).toString()),
                "application " + FailingVerticle.class.getName() + " could not start",
                "java.lang.IllegalStateException: cannot reach the database at db.internal:5432");
    }

    @Test
    void anAppWhoseStartThrowsHaltsWithItsMessageAndFirstCause() throws Exception {
        haltsWith(Map.of("FORKLINE_APP", TestApps.jar(dir, "app.jar", ThrowingVerticle.class).toString()),
                "java.lang.IllegalArgumentException: bad settings file",
                "caused by java.io.FileNotFoundException: /etc/app/settings.json (No such file or directory)");
    }

    @Test
    void aSecondForklineRunningAnAppOnTheSamePortHaltsInsteadOfSharingIt() throws Exception {
        int port = FreePorts.next();
        Path config = TestApps.config(dir, "kv.json", new JsonObject().put("port", port).put("host", "127.0.0.1"));
        Map<String, String> settings = Map.of("FORKLINE_WORKERS", "1",
                "FORKLINE_APP", TestApps.example(dir, "kv.jar", "1.0.0").toString(), "FORKLINE_APP_CONFIG", config.toString());
        try (ForklineProcess first = ForklineProcess.start(settings)) {
            first.awaitAllReady();
            try (ForklineProcess second = ForklineProcess.start(settings)) {
                assertThat(second.awaitExit(Duration.ofSeconds(60))).isEqualTo(4);
                assertThat(second.events(event("boot_error").with("halt", true))).singleElement()
                        .satisfies(e -> assertThat(e.message()).contains("the application's port " + port
                                + " is also listened on by Forkline supervisor pid " + first.pid()));
            }
            assertThat(first.process.isAlive()).isTrue();
            assertThat(first.workerPids()).hasSize(1);
        }
    }

    @Test
    void anAppWhoseClassCannotInitialiseHaltsWithTheInitialisersMessage() throws Exception {
        haltsWith(Map.of("FORKLINE_APP", TestApps.jar(dir, "app.jar", StaticInitFailingVerticle.class).toString()),
                "the static initializer of " + StaticInitFailingVerticle.class.getName() + " threw",
                "java.lang.NumberFormatException: For input string: \"not a number\"");
    }

    @Test
    void aTlsServerThatCannotBindHaltsEvenThoughItsSocketCameAfterTheDeployment() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            Path config = TestApps.config(dir, "app.json", new JsonObject().put("port", port));
            haltsWith(Map.of("FORKLINE_APP", TestApps.jar(dir, "app.jar", SloppyTlsVerticle.class).toString(),
                    "FORKLINE_APP_CONFIG", config.toString()),
                    "cannot listen on 127.0.0.1:" + port, "Address already in use");
        }
    }

    @Test
    void anAppThatCannotBindItsPortHaltsEvenIfItIgnoredItsListenFuture() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0)); // no SO_REUSEPORT: nobody can join it
            int port = taken.getLocalPort();
            Path config = TestApps.config(dir, "app.json", new JsonObject().put("port", port));
            haltsWith(Map.of("FORKLINE_APP", TestApps.jar(dir, "app.jar", SloppyListenVerticle.class).toString(),
                    "FORKLINE_APP_CONFIG", config.toString()),
                    "cannot listen on 127.0.0.1:" + port, "Address already in use");
        }
    }
}
