package dev.forkline.app;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;

/**
 * The user's application, as FORKLINE_APP, FORKLINE_APP_VERTICLE, FORKLINE_APP_CLASSPATH and
 * FORKLINE_APP_CONFIG name it, checked the way the worker will load it: the jar opens, the verticle
 * class is named (FORKLINE_APP_VERTICLE, else the manifest's {@code Main-Verticle}, the Vert.x
 * launcher's convention), it loads with its dependencies, it is a concrete Vert.x verticle with a
 * public no-argument constructor, and no jar bundles a Vert.x of another version than Forkline's.
 * The supervisor runs these checks before any worker starts (and again before a reload), so a bad
 * application is one configuration line and exit code 2, never a crash loop.
 *
 * <p>Checking loads the verticle class without initialising it: no application code runs.
 *
 * @param jar the application jar
 * @param classpath further jars or class directories (FORKLINE_APP_CLASSPATH, {@code dir/*} expanded)
 * @param verticle the verticle's class name
 * @param config the JSON file handed to the verticle as {@code config()}, if any
 */
public record AppSpec(Path jar, List<Path> classpath, String verticle, Optional<Path> config) {

    /** What the manifest attribute is called (Vert.x launcher, start.vertx.io). */
    public static final String MAIN_VERTICLE = "Main-Verticle";

    /**
     * The application the settings name, checked; empty when FORKLINE_APP is not set (the built-in
     * PID server runs).
     */
    public static Optional<AppSpec> from(Map<String, String> values) {
        String app = Setting.APP.raw(values);
        if (app.isEmpty()) {
            for (Setting s : List.of(Setting.APP_VERTICLE, Setting.APP_CONFIG, Setting.APP_CLASSPATH)) {
                if (!s.raw(values).isEmpty()) {
                    throw new ConfigException(s.variable(), s.raw(values),
                            "nothing while FORKLINE_APP is unset (set FORKLINE_APP to the application jar)");
                }
            }
            return Optional.empty();
        }
        Path jar = readableFile(Setting.APP, app, "a readable application jar file");
        List<Path> classpath = classpath(Setting.APP_CLASSPATH.raw(values));
        String verticle = verticleName(jar, Setting.APP_VERTICLE.raw(values));
        Optional<Path> config = Setting.APP_CONFIG.raw(values).isEmpty() ? Optional.empty()
                : Optional.of(readableFile(Setting.APP_CONFIG, Setting.APP_CONFIG.raw(values),
                        "a readable JSON file (the verticle's config())"));
        AppSpec spec = new AppSpec(jar, classpath, verticle, config);
        spec.checkBundledVertx();
        spec.checkVerticle(values);
        return Optional.of(spec);
    }

    /** The same application with its files somewhere else (a per-generation snapshot). */
    public AppSpec relocated(Path newJar, List<Path> newClasspath, Optional<Path> newConfig) {
        return new AppSpec(newJar, List.copyOf(newClasspath), verticle, newConfig);
    }

    /** The settings that name this application, for a worker's environment. */
    public Map<String, String> toEnvironment() {
        return Map.of(
                Setting.APP.variable(), jar.toString(),
                Setting.APP_VERTICLE.variable(), verticle,
                Setting.APP_CLASSPATH.variable(), String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()),
                Setting.APP_CONFIG.variable(), config.map(Path::toString).orElse(""));
    }

    /** A class loader for the application on top of {@code parent} (Forkline's own class path). */
    public AppClassLoader classLoader(ClassLoader parent) {
        List<URL> urls = new ArrayList<>();
        try {
            urls.add(jar.toUri().toURL());
            for (Path p : classpath) {
                urls.add(p.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e); // a Path always has a file: URL
        }
        return new AppClassLoader(urls, parent);
    }

    private static Path readableFile(Setting setting, String value, String expected) {
        Path p = Path.of(value).toAbsolutePath().normalize();
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new ConfigException(setting.variable(), value, expected
                    + (Files.exists(p) ? " (" + p + " is not a readable file)" : " (" + p + " does not exist)"));
        }
        return p;
    }

    /** Entries separated by ':' (jars or class directories); {@code dir/*} is every jar in dir, as in java -cp. */
    private static List<Path> classpath(String raw) {
        List<Path> entries = new ArrayList<>();
        if (raw.isEmpty()) {
            return entries;
        }
        for (String e : raw.split(File.pathSeparator)) {
            if (e.isBlank()) {
                continue;
            }
            if (e.endsWith("/*")) {
                Path dir = Path.of(e.substring(0, e.length() - 2)).toAbsolutePath().normalize();
                if (!Files.isDirectory(dir)) {
                    throw new ConfigException(Setting.APP_CLASSPATH.variable(), raw,
                            "jars or class directories separated by ':' (" + dir + " is not a directory)");
                }
                List<Path> jars = new ArrayList<>();
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.{jar,JAR}")) {
                    ds.forEach(jars::add);
                } catch (IOException ex) {
                    throw new ConfigException(Setting.APP_CLASSPATH.variable(), raw,
                            "jars or class directories separated by ':' (cannot list " + dir + ": " + ex.getMessage() + ")");
                }
                jars.sort(null);
                entries.addAll(jars);
                continue;
            }
            Path p = Path.of(e).toAbsolutePath().normalize();
            if (!Files.isReadable(p) || !(Files.isRegularFile(p) || Files.isDirectory(p))) {
                throw new ConfigException(Setting.APP_CLASSPATH.variable(), raw,
                        "jars or class directories separated by ':' (" + p + " is not readable)");
            }
            entries.add(p);
        }
        return List.copyOf(entries);
    }

    private static String verticleName(Path jar, String configured) {
        Manifest manifest;
        try (JarFile jf = new JarFile(jar.toFile())) {
            manifest = jf.getManifest();
        } catch (IOException e) {
            throw new ConfigException(Setting.APP.variable(), jar.toString(),
                    "a jar file (" + e.getMessage() + ")");
        }
        if (!configured.isEmpty()) {
            return stripPrefix(configured);
        }
        String fromManifest = manifest == null ? null : manifest.getMainAttributes().getValue(MAIN_VERTICLE);
        if (fromManifest == null || fromManifest.isBlank()) {
            throw new ConfigException(Setting.APP.variable(), jar.toString(),
                    "a jar whose manifest names its verticle (" + MAIN_VERTICLE
                            + ": com.example.MainVerticle), or the class in FORKLINE_APP_VERTICLE");
        }
        return stripPrefix(fromManifest.strip());
    }

    /** The Vert.x launcher accepts {@code java:com.example.Main}; only Java verticles exist in Vert.x 5. */
    private static String stripPrefix(String name) {
        return name.startsWith("java:") ? name.substring("java:".length()) : name;
    }

    private void checkVerticle(Map<String, String> values) {
        // Who named the class: the operator's setting, else the jar's manifest.
        boolean fromSetting = !Setting.APP_VERTICLE.raw(values).isEmpty();
        String variable = fromSetting ? Setting.APP_VERTICLE.variable() : Setting.APP.variable() + " (" + MAIN_VERTICLE + ")";
        try (AppClassLoader loader = classLoader(AppSpec.class.getClassLoader())) {
            Class<?> cls;
            try {
                cls = Class.forName(verticle, false, loader);
            } catch (ClassNotFoundException e) {
                throw new ConfigException(variable + "=" + verticle + " is invalid: expected a class in FORKLINE_APP"
                        + (classpath.isEmpty() ? "" : " or FORKLINE_APP_CLASSPATH") + "; " + verticle + " is in none of them");
            } catch (LinkageError e) {
                throw new ConfigException(variable + "=" + verticle + " is invalid: the class cannot be loaded ("
                        + e + "); add the jar it needs to FORKLINE_APP_CLASSPATH or shade it into the app jar");
            }
            Class<?> deployable;
            try {
                deployable = Class.forName("io.vertx.core.Deployable", false, loader);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("Vert.x is not on Forkline's class path", e);
            }
            String expected = "a Vert.x verticle (a public class extending VerticleBase or AbstractVerticle)";
            if (!deployable.isAssignableFrom(cls)) {
                throw new ConfigException(variable, verticle, expected + "; " + verticle + " is not one");
            }
            if (cls.isInterface() || Modifier.isAbstract(cls.getModifiers()) || !Modifier.isPublic(cls.getModifiers())) {
                throw new ConfigException(variable, verticle, expected + "; " + verticle + " is not a public concrete class");
            }
            try {
                cls.getConstructor();
            } catch (NoSuchMethodException e) {
                throw new ConfigException(variable, verticle, expected + " with a public no-argument constructor");
            }
        } catch (IOException e) {
            // closing the checking loader: nothing to do
        }
    }

    /**
     * An app jar that bundles Vert.x (a fat jar) runs on Forkline's copy, loaded parent-first: fine for
     * the same minor version, a LinkageError somewhere deep for another. Refuse the latter up front.
     */
    private void checkBundledVertx() {
        String ours = vertxVersion(AppSpec.class.getClassLoader());
        List<Path> jars = new ArrayList<>();
        jars.add(jar);
        classpath.stream().filter(Files::isRegularFile).forEach(jars::add);
        for (Path p : jars) {
            String bundled = bundledVertxVersion(p);
            if (bundled != null && ours != null && !minor(bundled).equals(minor(ours))) {
                Setting setting = p.equals(jar) ? Setting.APP : Setting.APP_CLASSPATH;
                throw new ConfigException(setting.variable() + "=" + p + " is invalid: it bundles Vert.x " + bundled
                        + ", Forkline runs Vert.x " + ours + "; build the app against Vert.x " + minor(ours)
                        + ".x with the io.vertx dependencies in provided scope (see the README, Run your own application)");
            }
        }
    }

    /** Vert.x's version as vertx-core records it in its jar, or null. */
    public static String vertxVersion(ClassLoader loader) {
        try (InputStream in = loader.getResourceAsStream("META-INF/vertx/vertx-version.txt")) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static String bundledVertxVersion(Path jar) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            if (jf.getEntry("io/vertx/core/Vertx.class") == null) {
                return null;
            }
            ZipEntry version = jf.getEntry("META-INF/vertx/vertx-version.txt");
            if (version == null) {
                return "(unknown version)";
            }
            try (InputStream in = jf.getInputStream(version)) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
        } catch (IOException e) {
            throw new ConfigException(Setting.APP_CLASSPATH.variable(), jar.toString(), "a jar file (" + e.getMessage() + ")");
        }
    }

    /** "5.0.7" → "5.0". */
    private static String minor(String version) {
        String[] parts = version.split("\\.");
        return parts.length >= 2 ? parts[0] + "." + parts[1] : version;
    }

    /** A manifest attribute of the application jar, e.g. Implementation-Version, or null. */
    public String manifestAttribute(String name) {
        try (JarFile jf = new JarFile(jar.toFile())) {
            Manifest m = jf.getManifest();
            return m == null ? null : m.getMainAttributes().getValue(new Attributes.Name(name));
        } catch (IOException e) {
            return null;
        }
    }
}
