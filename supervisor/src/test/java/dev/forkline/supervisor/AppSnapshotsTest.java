package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppSnapshotsTest {

    @Test
    void removesTheCopiesOfSupervisorsThatAreGoneAndKeepsTheRest(@TempDir Path tmp) throws Exception {
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        long gone = finished.pid();
        Path stale = Files.createDirectories(tmp.resolve("forkline-" + gone + "/gen-1/app"));
        Files.writeString(stale.resolve("app.jar"), "jar");
        Path live = Files.createDirectories(tmp.resolve("forkline-" + ProcessHandle.current().pid() + "/gen-1"));
        Path unrelated = Files.createDirectories(tmp.resolve("forkline-cache"));

        AppSnapshots.removeStale(tmp);

        assertThat(tmp.resolve("forkline-" + gone)).doesNotExist();
        assertThat(live).exists();
        assertThat(unrelated).exists();
    }
}
