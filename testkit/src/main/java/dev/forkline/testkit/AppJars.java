package dev.forkline.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Application jars for tests, made the way a build makes them: class files under a directory, a
 * manifest. Also "new versions" of a jar (same classes, another Implementation-Version) and a
 * deploy by rename, as an operator does it.
 */
public final class AppJars {
    private AppJars() {
    }

    /** The example application built by the examples/kv module (system property forkline.example.jar). */
    public static Path exampleJar() {
        String p = System.getProperty("forkline.example.jar");
        if (p == null) {
            throw new IllegalStateException("system property forkline.example.jar is not set (run through Maven failsafe)");
        }
        return Path.of(p);
    }

    /**
     * A jar of the classes of {@code packages} (e.g. {@code dev/forkline/supervisor/apps}) found under
     * {@code classesRoot}, with these manifest attributes.
     */
    public static Path build(Path out, Path classesRoot, List<String> packages, Map<String, String> attributes) {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        attributes.forEach((k, v) -> manifest.getMainAttributes().put(new Attributes.Name(k), v));
        try (OutputStream os = Files.newOutputStream(out); JarOutputStream jar = new JarOutputStream(os, manifest)) {
            for (String pkg : packages) {
                Path dir = classesRoot.resolve(pkg);
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                        jar.putNextEntry(new JarEntry(classesRoot.relativize(f).toString().replace('\\', '/')));
                        Files.copy(f, jar);
                        jar.closeEntry();
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A copy of {@code jar} with other manifest attributes (e.g. a new Implementation-Version). */
    public static Path withManifest(Path jar, Path out, Map<String, String> attributes) {
        try (JarFile in = new JarFile(jar.toFile())) {
            Manifest manifest = new Manifest(in.getManifest());
            attributes.forEach((k, v) -> {
                if (v == null) {
                    manifest.getMainAttributes().remove(new Attributes.Name(k));
                } else {
                    manifest.getMainAttributes().put(new Attributes.Name(k), v);
                }
            });
            try (OutputStream os = Files.newOutputStream(out); JarOutputStream target = new JarOutputStream(os, manifest)) {
                for (JarEntry e : (Iterable<JarEntry>) in.stream()::iterator) {
                    if (e.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                        continue;
                    }
                    target.putNextEntry(new JarEntry(e.getName()));
                    try (InputStream data = in.getInputStream(e)) {
                        data.transferTo(target);
                    }
                    target.closeEntry();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A jar with extra entries (name → content), e.g. a bundled copy of another Vert.x. */
    public static Path withEntries(Path jar, Path out, Map<String, byte[]> entries) {
        withManifest(jar, out, Map.of());
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (JarFile in = new JarFile(out.toFile());
             OutputStream os = Files.newOutputStream(tmp);
             JarOutputStream target = new JarOutputStream(os, in.getManifest())) {
            for (JarEntry e : (Iterable<JarEntry>) in.stream()::iterator) {
                if (e.getName().equalsIgnoreCase(JarFile.MANIFEST_NAME)) {
                    continue;
                }
                target.putNextEntry(new JarEntry(e.getName()));
                try (InputStream data = in.getInputStream(e)) {
                    data.transferTo(target);
                }
                target.closeEntry();
            }
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                target.putNextEntry(new JarEntry(e.getKey()));
                target.write(e.getValue());
                target.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Deploys {@code newJar} at {@code target} the way an operator should: copy next to it, then
     * rename over it (atomic: a reader sees the old file or the new one, never half of one).
     */
    public static void deployByRename(Path newJar, Path target) {
        Path next = target.resolveSibling(target.getFileName() + ".next");
        try {
            Files.copy(newJar, next, StandardCopyOption.REPLACE_EXISTING);
            Files.move(next, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
