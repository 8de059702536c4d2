package dev.forkline.supervisor.apps;

import dev.forkline.testkit.AppJars;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Jars and configs of the test applications in this package and of the example application. */
public final class TestApps {
    private TestApps() {
    }

    /** A jar of this package's classes whose manifest names {@code verticle} (null: no Main-Verticle). */
    public static Path jar(Path dir, String name, Class<?> verticle) {
        Map<String, String> manifest = verticle == null ? Map.of("Implementation-Version", "test")
                : Map.of("Main-Verticle", verticle.getName(), "Implementation-Version", "test");
        return AppJars.build(dir.resolve(name), classesRoot(),
                List.of(TestApps.class.getPackageName().replace('.', '/')), manifest);
    }

    /** A jar of the classes of one subpackage of this package ({@code "split"}), with these manifest attributes. */
    public static Path jarOf(Path dir, String name, String subpackage, Map<String, String> manifest) {
        return AppJars.build(dir.resolve(name), classesRoot(),
                List.of(TestApps.class.getPackageName().replace('.', '/') + "/" + subpackage), manifest);
    }

    /** The example application, stamped with {@code version} (Implementation-Version). */
    public static Path example(Path dir, String name, String version) {
        return AppJars.withManifest(AppJars.exampleJar(), dir.resolve(name), Map.of("Implementation-Version", version));
    }

    /** A FORKLINE_APP_CONFIG file. */
    public static Path config(Path dir, String name, JsonObject config) {
        try {
            return Files.writeString(dir.resolve(name), config.encodePrettily());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path classesRoot() {
        try {
            return Path.of(TestApps.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
