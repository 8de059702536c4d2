package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The build ships an AppCDS archive for workers, and production starts them with -Xshare:auto so a
 * stale archive can never stop a worker. Here workers start with -Xshare:on, under which a missing,
 * stale or mismatched archive is fatal: if the build forgot it or left an old one, this fails.
 */
class CdsArchiveIT {

    @Test
    void workersBootWithTheShippedArchiveMapped() throws Exception {
        Path archive = ForklineProcess.jar().resolveSibling("forkline-worker.jsa").toAbsolutePath();
        assertThat(archive).as("the build's AppCDS archive").isRegularFile();
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_WORKER_JVM_OPTS", "-Xshare:on"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();

            for (long pid : ready.values()) {
                String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
                assertThat(cmdline).as("the supervisor names the archive").contains("-XX:SharedArchiveFile=" + archive);
                // What the JVM did with it: the archive is mapped into the worker's memory.
                assertThat(Files.readString(Path.of("/proc", Long.toString(pid), "maps")))
                        .as("the archive is mapped").contains(archive.toString());
            }
            assertThat(forkline.events(event("worker_exited"))).isEmpty();
        }
    }
}
