package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gunicorn's contract: a worker that cannot boot stops everything instead of a respawn loop. */
class BootErrorIT {

    @Test
    void haltsWithTheWorkersReasonWhenAWorkerCannotBoot() throws Exception {
        // Netty's own switch turns the native transport off: every worker fails its boot check.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_WORKER_JVM_OPTS", "-Dio.netty.transport.noNative=true"))) {
            int code = forkline.awaitExit(Duration.ofSeconds(60));

            assertThat(code).isEqualTo(4);
            assertThat(forkline.log()).anyMatch(l -> l.contains("[supervisor]") && l.contains("could not boot:")
                    && l.contains("the native epoll transport is unavailable") && l.contains("halting"));
            assertThat(forkline.log()).noneMatch(l -> l.contains("respawned"));
            assertThat(forkline.log()).last().asString().contains("exiting with code 4");
            assertThat(forkline.spawnedPids()).hasSizeGreaterThanOrEqualTo(2)
                    .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
        }
    }
}
