package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.LogEvent;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Bad input at start: one clear line, a distinct non-zero exit, nothing left running. */
class StartupErrorsIT {

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            FORKLINE_PORT            | abc   | FORKLINE_PORT=abc is invalid: expected an integer from 1 to 65535
            FORKLINE_PORT            | 70000 | FORKLINE_PORT=70000 is invalid: expected an integer from 1 to 65535
            FORKLINE_WORKERS         | 0     | FORKLINE_WORKERS=0 is invalid: expected auto or an integer from 1 to 1024
            FORKLINE_WORKERS         | many  | FORKLINE_WORKERS=many is invalid: expected auto or an integer from 1 to 1024
            FORKLINE_IDLE_TIMEOUT    | soon  | FORKLINE_IDLE_TIMEOUT=soon is invalid: expected a duration from 100ms to 24h
            FORKLINE_SHUTDOWN_TIMEOUT| -1    | FORKLINE_SHUTDOWN_TIMEOUT=-1 is invalid: expected a duration
            FORKLINE_MAX_LINE        | 1     | FORKLINE_MAX_LINE=1 is invalid: expected an integer from 16 to 16777216
            FORKLINE_LOG_LEVEL       | loud  | FORKLINE_LOG_LEVEL=loud is invalid: expected one of debug, info, warn, error
            FORKLINE_CONFIG          | /nonexistent.json | FORKLINE_CONFIG=/nonexistent.json is invalid: expected a readable
            FORKLINE_HEARTBEAT_INTERVAL | 6s   | FORKLINE_HEARTBEAT_INTERVAL=6s is invalid: expected at most half of FORKLINE_WORKER_TIMEOUT (10s)
            """)
    void refusesABadValueWithOneLineAndExitCode2(String variable, String value, String message) throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(variable, value))) {
            int code = forkline.awaitExit(Duration.ofSeconds(30));
            List<String> log = forkline.log();

            assertThat(code).isEqualTo(2);
            assertThat(log).hasSize(1);
            LogEvent line = LogEvent.parse(log.get(0)).orElseThrow();
            assertThat(line.event()).isEqualTo("config_error");
            assertThat(line.level()).isEqualTo("ERROR");
            assertThat(line.message()).contains(message);
            assertThat(forkline.process.toHandle().descendants()).isEmpty();
        }
    }

    @Test
    void refusesAPortThatIsAlreadyTakenWithOneLineAndExitCode4() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_PORT", Integer.toString(port)))) {
                int code = forkline.awaitExit(Duration.ofSeconds(30));

                assertThat(code).isEqualTo(4);
                assertThat(forkline.events(e -> e.level().equals("ERROR"))).singleElement()
                        .matches(event("port_taken").with("settings", List.of("FORKLINE_PORT")))
                        .satisfies(e -> assertThat(e.message()).contains("cannot listen on 127.0.0.1:" + port)
                                .contains("Address already in use"));
                assertThat(forkline.spawnedPids()).isEmpty();
                assertThat(forkline.process.toHandle().descendants()).isEmpty();
            }
        }
    }

    @Test
    void warnsAtStartWhenTheKernelOrTheLimitsCannotHoldWhatTheSettingsAskFor() throws Exception {
        // Just above what this machine allows, whatever it is: the backlog the kernel caps, and one
        // connection per open file (the supervisor and its workers inherit this JVM's limit).
        long somaxconn = Long.parseLong(Capacity.readProc(java.nio.file.Path.of("/proc/sys/net/core/somaxconn")).strip());
        long openFiles = Capacity.openFileLimit().orElseThrow();
        String backlog = Long.toString(Math.min(somaxconn + 1, 1 << 20));
        String maxConnections = Long.toString(Math.min(openFiles, 1_000_000));
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1",
                "FORKLINE_BACKLOG", backlog, "FORKLINE_MAX_CONNECTIONS", maxConnections))) {
            forkline.awaitAllReady();

            assertThat(forkline.events(event("capacity_warning").level("WARN"))).extracting(LogEvent::message)
                    .anySatisfy(m -> assertThat(m).contains("FORKLINE_BACKLOG=" + backlog)
                            .contains("net.core.somaxconn=" + somaxconn))
                    .anySatisfy(m -> assertThat(m).contains("FORKLINE_MAX_CONNECTIONS=" + maxConnections)
                            .contains("the limit is " + openFiles));
        }
    }
}
