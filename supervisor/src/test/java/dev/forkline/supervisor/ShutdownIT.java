package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ShutdownIT {

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void stopsEveryWorkerAndExitsZeroOnSignal(String signal) throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            forkline.awaitAllReady();
            List<ProcessHandle> workers = forkline.process.toHandle().children().toList();
            assertThat(workers).hasSize(2);

            forkline.signal(signal);

            assertThat(forkline.awaitExit(Duration.ofSeconds(15))).isZero();
            assertThat(workers).noneMatch(ProcessHandle::isAlive);
            assertThat(ForklineProcess.portFree(forkline.port)).isTrue();
            assertThat(forkline.log()).anyMatch(l -> l.contains("SIG" + signal + ": stopping 2 workers"));
            assertThat(forkline.log()).anyMatch(l -> l.contains("exited with code 0"));
            assertThat(forkline.log()).last().asString().contains("all workers stopped (2 exited by themselves, none killed); exiting with code 0");
        }
    }

    @Test
    void answersTheLineInProgressBeforeAWorkerStops() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"));) {
            forkline.awaitAllReady();
            try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
                c.writeRaw("PI".getBytes(java.nio.charset.StandardCharsets.US_ASCII)); // half a request
                forkline.signal("TERM");
                forkline.awaitLog("draining");
                c.writeRaw("NG\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(c.readResponse()).isEqualTo("PONG");
                assertThat(c.awaitClosedByServer()).isTrue();
            }
            assertThat(forkline.awaitExit(Duration.ofSeconds(15))).isZero();
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
            Optional<String> orphaned = forkline.log().stream().filter(l -> l.contains("supervisor gone")).findAny();
            assertThat(orphaned).isPresent();
        }
    }
}
