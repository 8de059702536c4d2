package dev.forkline.supervisor;

import dev.forkline.app.AppSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * One copy of the application per generation: its jar, its FORKLINE_APP_CLASSPATH jars and its
 * FORKLINE_APP_CONFIG file, taken when the generation starts (at start, and when a reload begins).
 * Every worker of a generation runs that copy, so:
 * <ul>
 *   <li>replacing the jar on disk (by rename or by overwriting it in place) never disturbs running
 *       workers, nor a worker of a running generation that is respawned after a crash or a hang: it
 *       runs the code its generation started with, not whatever file is there at that moment;</li>
 *   <li>a reload deploys exactly the bytes that were on disk when it began.</li>
 * </ul>
 * A copy rather than a hard link: a link shares the inode, and {@code cp new.jar app.jar} rewrites
 * that inode in place. Copies live under java.io.tmpdir ({@code forkline-<supervisor pid>/gen-N}),
 * and a generation's copy is deleted once no worker runs it and none will be started with it.
 *
 * <p>Only the supervisor's loop thread uses it.
 */
final class AppSnapshots implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(AppSnapshots.class.getName());

    private final Path root;
    private final Map<Integer, AppSpec> byGeneration = new TreeMap<>();

    AppSnapshots(Path root) {
        this.root = root;
    }

    /**
     * Under java.io.tmpdir, named after this supervisor's pid; first removes the directories of
     * supervisors that are gone without cleaning up (SIGKILL, a crash).
     */
    static AppSnapshots inTempDir() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        removeStale(tmp);
        return new AppSnapshots(tmp.resolve("forkline-" + ProcessHandle.current().pid()));
    }

    /** Deletes {@code forkline-<pid>} directories whose supervisor is no longer running (ours only: other users' fail quietly). */
    static void removeStale(Path tmp) {
        try (Stream<Path> dirs = Files.list(tmp)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                String name = dir.getFileName().toString();
                if (!name.matches("forkline-\\d{1,10}") || !Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                long pid = Long.parseLong(name.substring("forkline-".length()));
                if (ProcessHandle.of(pid).isEmpty()) {
                    try {
                        deleteTree(dir);
                        LOG.fine(() -> "removed " + dir + ", left by a supervisor that is gone");
                    } catch (IOException e) {
                        LOG.fine(() -> "cannot remove " + dir + ": " + e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            // no listing: nothing to clean
        }
    }

    /**
     * Copies the application for {@code generation}; returns the spec workers of that generation get.
     *
     * @throws UncheckedIOException if the files cannot be copied (a reload is refused then)
     * @throws dev.forkline.config.ConfigException if the copy is not a loadable application
     */
    AppSpec take(int generation, AppSpec app) {
        Path dir = root.resolve("gen-" + generation);
        try {
            deleteTree(dir);
            Files.createDirectories(dir);
            Path jar = copy(app.jar(), dir.resolve("app"), 0);
            List<Path> classpath = new ArrayList<>();
            Path lib = dir.resolve("lib");
            for (int i = 0; i < app.classpath().size(); i++) {
                classpath.add(copy(app.classpath().get(i), lib, i + 1));
            }
            Optional<Path> config = app.config().isPresent()
                    ? Optional.of(copy(app.config().get(), dir.resolve("config"), 0)) : Optional.empty();
            // Checked again, as copied: a jar caught half-written by `cp` fails here, not in the workers.
            AppSpec copy = SupervisorConfig.app(app.relocated(jar, classpath, config).toEnvironment()).orElseThrow();
            byGeneration.put(generation, copy);
            return copy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the application to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The copy a worker of {@code generation} runs; empty for the built-in server. */
    Optional<AppSpec> of(int generation) {
        return Optional.ofNullable(byGeneration.get(generation));
    }

    /** Deletes the copies of every generation not in {@code inUse}. */
    void retain(Set<Integer> inUse) {
        byGeneration.keySet().removeIf(g -> {
            if (inUse.contains(g)) {
                return false;
            }
            try {
                deleteTree(root.resolve("gen-" + g));
            } catch (IOException e) {
                LOG.warning("cannot delete the copy of generation " + g + "'s application: " + e.getMessage());
            }
            return true;
        });
    }

    @Override
    public void close() {
        retain(Set.of());
        try {
            deleteTree(root);
        } catch (IOException e) {
            LOG.warning("cannot delete " + root + ": " + e.getMessage());
        }
    }

    /** Copies a file, or a class directory, keeping its name (prefixed by its position, for class path order). */
    private static Path copy(Path source, Path dir, int position) throws IOException {
        Files.createDirectories(dir);
        String name = (position > 0 ? position + "-" : "") + source.getFileName();
        Path target = dir.resolve(name);
        if (Files.isDirectory(source)) {
            try (Stream<Path> files = Files.walk(source)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path t = target.resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        } else {
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
        return target;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
