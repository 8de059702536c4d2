package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessLauncherTest {

    @Test
    void workersShareClassDataThroughTheAppCdsArchiveByDefault() {
        assertThat(ProcessLauncher.command(SupervisorConfig.from(Map.of()))).contains("-Xshare:auto");
    }

    @Test
    void aJdk25AotCacheReplacesEveryClassDataSharingOptionHotSpotWouldRefuseBesideIt() {
        var cmd = ProcessLauncher.command(SupervisorConfig.from(Map.of(
                "FORKLINE_WORKER_JVM_OPTS", "-XX:AOTCache=/opt/forkline/worker.aot")));
        assertThat(cmd).contains("-XX:AOTCache=/opt/forkline/worker.aot")
                .noneMatch(o -> o.startsWith("-Xshare") || o.startsWith("-XX:SharedArchiveFile"));
    }
}
