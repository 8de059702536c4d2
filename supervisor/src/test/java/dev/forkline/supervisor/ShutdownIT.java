package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static dev.forkline.testkit.LogEventMatcher.workerSays;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.ForklineProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShutdownIT {

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void everyWorkerDrainsAndExitsByItselfAndTheSupervisorExitsZeroOnSignal(String signal) throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            List<ProcessHandle> workers = forkline.process.toHandle().children().toList();
            assertThat(workers).hasSize(2);

            forkline.signal(signal);

            assertThat(forkline.awaitExit(Duration.ofSeconds(20))).isZero();
            assertThat(workers).noneMatch(ProcessHandle::isAlive);
            assertThat(ForklineProcess.portFree(forkline.port)).isTrue();
            assertThat(forkline.events(event("stop_started").with("trigger", "SIG" + signal).with("workers", 2))).hasSize(1);
            // Exit 0 alone would also follow a SIGKILL at the deadline: each worker must have exited by itself.
            for (long pid : ready.values()) {
                assertThat(forkline.events(event("worker_exited").with("pid", pid).with("exit_value", 0)
                        .with("killed_because", null))).as("worker pid %d drained and exited 0", pid).hasSize(1);
            }
            assertThat(forkline.events()).last().matches(event("stop_summary").with("exited_by_themselves", 2)
                    .with("killed", List.of()).with("exit_code", 0));
        }
    }

    @Test
    void answersTheLineInProgressBeforeAWorkerStops() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"))) {
            forkline.awaitAllReady();
            try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
                c.writeRaw("PI".getBytes(java.nio.charset.StandardCharsets.US_ASCII)); // half a request
                int mark = forkline.mark();
                forkline.signal("TERM");
                forkline.await(workerSays("draining"), mark, Duration.ofSeconds(10));
                c.writeRaw("NG\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(c.readResponse()).isEqualTo("PONG");
                assertThat(c.awaitClosedByServer()).isTrue();
            }
            assertThat(forkline.awaitExit(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void workersExitWhenTheSupervisorIsKilledWithSigkill() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "4"))) {
            forkline.awaitAllReady();
            List<ProcessHandle> workers = forkline.process.toHandle().children().toList();
            assertThat(workers).hasSize(4);

            forkline.signal("KILL");

            // Nobody tells them: each sees EOF on the pipe from its dead supervisor, within 2 s.
            await().atMost(Duration.ofSeconds(2)).until(() -> workers.stream().allMatch(ForklineProcess::exited)
                    && ForklineProcess.portFree(forkline.port));
            assertThat(forkline.events(workerSays("supervisor gone"))).isNotEmpty();
        }
    }
}
