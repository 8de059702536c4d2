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
import java.util.jar.JarEntry;
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

    /**
     * The application as {@link #toEnvironment()} handed it to a worker, already checked by the
     * supervisor: read back without checking it again (a worker's boot is on the path of every
     * respawn and reload). Empty when FORKLINE_APP is unset.
     */
    public static Optional<AppSpec> resolved(Map<String, String> values) {
        String app = Setting.APP.raw(values);
        if (app.isEmpty()) {
            return Optional.empty();
        }
        String cp = Setting.APP_CLASSPATH.raw(values);
        List<Path> classpath = cp.isEmpty() ? List.of()
                : java.util.Arrays.stream(cp.split(File.pathSeparator)).map(Path::of).toList();
        String config = Setting.APP_CONFIG.raw(values);
        return Optional.of(new AppSpec(Path.of(app), classpath, stripPrefix(Setting.APP_VERTICLE.raw(values)),
                config.isEmpty() ? Optional.empty() : Optional.of(Path.of(config))));
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
                        + (classpath.isEmpty() ? " (" + jar.getFileName() + "); it is not there"
                                : " or FORKLINE_APP_CLASSPATH; it is in none of them"));
            } catch (UnsupportedClassVersionError e) {
                throw new ConfigException(variable + "=" + verticle + " is invalid: it was compiled for a newer Java"
                        + " than this one (" + Runtime.version().feature() + "): " + e.getMessage());
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
     * An app jar that bundles Vert.x (a fat jar, or a thin one with some Vert.x module shaded in)
     * runs on Forkline's copy of every {@code io.vertx} class, loaded parent-first: fine for the same
     * minor version, a LinkageError somewhere deep for another. Refuse the latter up front: each
     * bundled Vert.x module is found by its Maven descriptor
     * ({@code META-INF/maven/io.vertx/<module>/pom.properties}), and vertx-core also by its own
     * version file when the descriptors were stripped.
     */
    private void checkBundledVertx() {
        String ours = vertxVersion(AppSpec.class.getClassLoader());
        if (ours == null) {
            return;
        }
        List<Path> jars = new ArrayList<>();
        jars.add(jar);
        classpath.stream().filter(Files::isRegularFile).forEach(jars::add);
        for (Path p : jars) {
            for (Map.Entry<String, String> bundled : bundledVertx(p).entrySet()) {
                if (!minor(bundled.getValue()).equals(minor(ours))) {
                    Setting setting = p.equals(jar) ? Setting.APP : Setting.APP_CLASSPATH;
                    throw new ConfigException(setting.variable() + "=" + p + " is invalid: it bundles Vert.x "
                            + bundled.getValue() + " (" + bundled.getKey() + "), Forkline runs Vert.x " + ours
                            + "; build the app against Vert.x " + minor(ours) + ".x with the io.vertx dependencies"
                            + " in provided scope (see the README, Run your own application)");
                }
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

    /** The Vert.x modules a jar bundles, with their versions (module → version). */
    private static Map<String, String> bundledVertx(Path jar) {
        Map<String, String> modules = new java.util.TreeMap<>();
        try (JarFile jf = new JarFile(jar.toFile())) {
            for (JarEntry e : (Iterable<JarEntry>) jf.stream()::iterator) {
                String name = e.getName();
                if (name.startsWith("META-INF/maven/io.vertx/") && name.endsWith("/pom.properties")) {
                    java.util.Properties props = new java.util.Properties();
                    try (InputStream in = jf.getInputStream(e)) {
                        props.load(in);
                    }
                    String version = props.getProperty("version");
                    if (version != null) {
                        modules.put(props.getProperty("artifactId", name), version.strip());
                    }
                }
            }
            if (jf.getEntry("io/vertx/core/Vertx.class") != null && !modules.containsKey("vertx-core")) {
                ZipEntry version = jf.getEntry("META-INF/vertx/vertx-version.txt");
                String v = "(unknown version)";
                if (version != null) {
                    try (InputStream in = jf.getInputStream(version)) {
                        v = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
                    }
                }
                modules.put("vertx-core", v);
            }
        } catch (IOException e) {
            throw new ConfigException(Setting.APP_CLASSPATH.variable(), jar.toString(), "a jar file (" + e.getMessage() + ")");
        }
        return modules;
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
