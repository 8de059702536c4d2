package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerLauncherTest {

    @Test
    void workersShareClassDataThroughTheAppCdsArchiveByDefault() {
        assertThat(WorkerLauncher.command(SupervisorConfig.from(Map.of()))).contains("-Xshare:auto");
    }

    @Test
    void aJdk25AotCacheReplacesEveryClassDataSharingOptionHotSpotWouldRefuseBesideIt() {
        var cmd = WorkerLauncher.command(SupervisorConfig.from(Map.of(
                "FORKLINE_WORKER_JVM_OPTS", "-XX:AOTCache=/opt/forkline/worker.aot")));
        assertThat(cmd).contains("-XX:AOTCache=/opt/forkline/worker.aot")
                .noneMatch(o -> o.startsWith("-Xshare") || o.startsWith("-XX:SharedArchiveFile"));
    }
}
