package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gunicorn's contract: a worker that cannot boot at the first start stops everything instead of a respawn loop. */
class BootErrorIT {

    @Test
    void haltsWithTheWorkersReasonWhenAWorkerCannotBootAtTheFirstStart() throws Exception {
        // Netty's own switch turns the native transport off: every worker fails its boot check.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2",
                "FORKLINE_WORKER_JVM_OPTS", "-Dio.netty.transport.noNative=true"))) {
            int code = forkline.awaitExit(Duration.ofSeconds(60));

            assertThat(code).isEqualTo(4);
            assertThat(forkline.events(event("boot_error").fromSupervisor().with("halt", true)
                    .withContaining("reason", "the native epoll transport is unavailable"))).isNotEmpty();
            assertThat(forkline.events(event("worker_respawned"))).isEmpty();
            assertThat(forkline.events()).last().matches(event("stop_summary").with("exit_code", 4));
            assertThat(forkline.spawnedPids()).hasSizeGreaterThanOrEqualTo(2)
                    .allSatisfy(pid -> assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty());
        }
    }
}
