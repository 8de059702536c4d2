package dev.forkline.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogsTest {

    private static Log.EventRecord event() {
        Map<String, Object> fields = new java.util.LinkedHashMap<>();
        fields.put("slot", 2);
        fields.put("pid", 4242L);
        fields.put("expected", false);
        fields.put("killed", List.of("worker 1 pid 7"));
        fields.put("replaces", null);
        Log.EventRecord r = new Log.EventRecord(Level.WARNING, "worker 2 pid 4242 exited \"unexpectedly\"",
                "worker_exited", fields);
        r.setInstant(java.time.Instant.parse("2026-11-27T05:40:00.123Z"));
        return r;
    }

    @Test
    void theTextFormatIsOneLineWithTheProcessTag() {
        assertThat(Logs.formatter(Logs.LogFormat.TEXT, "supervisor").format(event()))
                .isEqualTo("2026-11-27T05:40:00.123Z WARN  [supervisor] worker 2 pid 4242 exited \"unexpectedly\""
                        + System.lineSeparator());
    }

    @Test
    void theJsonFormatIsOneObjectPerLineWithTheEventAndItsFields() {
        String line = Logs.formatter(Logs.LogFormat.JSON, "supervisor").format(event());
        assertThat(line).isEqualTo("{\"time\":\"2026-11-27T05:40:00.123Z\",\"level\":\"WARN\","
                + "\"source\":{\"process\":\"supervisor\",\"pid\":" + ProcessHandle.current().pid() + "},"
                + "\"event\":\"worker_exited\",\"fields\":{\"slot\":2,\"pid\":4242,\"expected\":false,"
                + "\"killed\":[\"worker 1 pid 7\"],\"replaces\":null},"
                + "\"message\":\"worker 2 pid 4242 exited \\\"unexpectedly\\\"\"}" + System.lineSeparator());
    }

    @Test
    void aRecordOfAnotherLoggerIsTheEventLogWithItsLoggerAndAStackTraceStaysOnItsLine() {
        LogRecord r = new LogRecord(Level.SEVERE, "boom");
        r.setLoggerName("io.netty.Something");
        r.setThrown(new IllegalStateException("bad\nstate"));
        String line = Logs.formatter(Logs.LogFormat.JSON, "worker 0 pid 1").format(r);
        assertThat(line.strip()).doesNotContain("\n").contains("\"process\":\"worker\"", "\"event\":\"log\"",
                "\"fields\":{\"logger\":\"io.netty.Something\"}", "\"message\":\"boom\"",
                "\"stack\":\"java.lang.IllegalStateException: bad\\nstate");
    }

    @Test
    void aWorkersJsonSourceCarriesTheSlotOfItsTagAndAStandbyNone() {
        LogRecord r = new LogRecord(Level.INFO, "hello");
        assertThat(Logs.formatter(Logs.LogFormat.JSON, "worker 2 pid 4242").format(r))
                .contains("\"source\":{\"process\":\"worker\",\"pid\":" + ProcessHandle.current().pid() + ",\"slot\":2}");
        assertThat(Logs.formatter(Logs.LogFormat.JSON, "standby pid 4242").format(r))
                .contains("\"source\":{\"process\":\"standby\",\"pid\":" + ProcessHandle.current().pid() + "}");
    }
}
