package dev.forkline.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ControlCodecTest {

    private static final WorkerStats STATS = new WorkerStats(4242, 1, 3, 12_345, 7, 100, 2_000, 30_000, 40_000, 55, 9);

    @Test
    void everyMessageSurvivesARoundTrip() {
        List<ControlMessage> messages = List.of(
                new ControlMessage.Ready(4242, 0, 1, List.of("0.0.0.0:3000", "[::1]:8080")),
                new ControlMessage.Ready(4242, 0, 1, List.of()),
                new ControlMessage.Booted(4242, 2, List.of("0.0.0.0:3000", "0.0.0.0:8080")),
                new ControlMessage.Booted(4242, 2, List.of()),
                new ControlMessage.Promote(3),
                new ControlMessage.Heartbeat(STATS),
                new ControlMessage.Fatal(3, "cannot listen on 0.0.0.0:3000: Address already in use \"quoted\"\n"),
                new ControlMessage.Drain(),
                new ControlMessage.Stop());
        for (ControlMessage m : messages) {
            String line = ControlCodec.encode(m);
            assertThat(line).doesNotContain("\n");
            assertThat(ControlCodec.decode(line)).isEqualTo(m);
        }
    }

    @Test
    void readyIsTheDocumentedJsonLine() {
        assertThat(ControlCodec.encode(new ControlMessage.Ready(4242, 0, 1, List.of("0.0.0.0:3000", "0.0.0.0:8080"))))
                .isEqualTo("{\"type\":\"ready\",\"pid\":4242,\"slot\":0,\"generation\":1,\"port\":3000,"
                        + "\"listening\":\"0.0.0.0:3000 0.0.0.0:8080\"}");
    }

    @Test
    void bootedAndPromoteAreTheDocumentedJsonLines() {
        assertThat(ControlCodec.encode(new ControlMessage.Booted(4242, 2, List.of("0.0.0.0:3000", "0.0.0.0:8080"))))
                .isEqualTo("{\"type\":\"booted\",\"pid\":4242,\"generation\":2,\"held\":\"0.0.0.0:3000 0.0.0.0:8080\"}");
        assertThat(ControlCodec.encode(new ControlMessage.Promote(1))).isEqualTo("{\"type\":\"promote\",\"slot\":1}");
    }

    @Test
    void readsTheReadyOfAWorkerFromBeforeListening() {
        assertThat(ControlCodec.decode("{\"type\":\"ready\",\"pid\":4242,\"slot\":0,\"generation\":1,\"port\":3000}"))
                .isEqualTo(new ControlMessage.Ready(4242, 0, 1, List.of("*:3000")));
    }

    @Test
    void heartbeatIsTheDocumentedJsonLineWithTheWorkersSendTime() {
        String line = "{\"type\":\"heartbeat\",\"pid\":4242,\"slot\":1,\"generation\":3,\"uptime_ms\":12345,"
                + "\"connections\":7,\"accepted\":100,\"requests\":2000,\"bytes_in\":30000,\"bytes_out\":40000,"
                + "\"http_requests\":55,\"resets\":9,\"sent_ns\":987654321012}";
        assertThat(ControlCodec.encode(new ControlMessage.Heartbeat(STATS, 987_654_321_012L))).isEqualTo(line);
        assertThat(ControlCodec.decode(line)).isEqualTo(new ControlMessage.Heartbeat(STATS, 987_654_321_012L));
    }

    @Test
    void aHeartbeatIsStampedWhenItIsMade() {
        long before = System.nanoTime();
        long sent = new ControlMessage.Heartbeat(STATS).sentNanos();
        assertThat(sent).isBetween(before, System.nanoTime());
    }

    @Test
    void readsTheHeartbeatOfAnOlderWorkerWithoutASendTime() {
        String old = ControlCodec.encode(new ControlMessage.Heartbeat(STATS, ControlMessage.Heartbeat.UNSTAMPED));
        assertThat(old).doesNotContain("sent_ns");
        assertThat(ControlCodec.decode(old)).isEqualTo(new ControlMessage.Heartbeat(STATS, ControlMessage.Heartbeat.UNSTAMPED));
    }

    @Test
    void infoCarriesIdentityAndCounters() {
        String info = ControlCodec.encodeInfo(STATS);
        assertThat(info).isEqualTo("{\"pid\":4242,\"slot\":1,\"generation\":3,\"uptime_ms\":12345,"
                + "\"connections\":7,\"accepted\":100,\"requests\":2000,\"bytes_in\":30000,\"bytes_out\":40000,"
                + "\"http_requests\":55,\"resets\":9}");
        assertThat(ControlCodec.decodeInfo(info)).isEqualTo(STATS);
    }

    @Test
    void heartbeatCarriesTheJvmFiguresOnceKnown() {
        WorkerStats withJvm = new WorkerStats(4242, 1, 3, 12_345, 7, 100, 2_000, 30_000, 40_000, 55, 9,
                new WorkerStats.Jvm(9_000_000, 16_777_216, 12, 48, 1_530));
        String line = ControlCodec.encode(new ControlMessage.Heartbeat(withJvm, 987_654_321_012L));
        assertThat(line).isEqualTo("{\"type\":\"heartbeat\",\"pid\":4242,\"slot\":1,\"generation\":3,"
                + "\"uptime_ms\":12345,\"connections\":7,\"accepted\":100,\"requests\":2000,\"bytes_in\":30000,"
                + "\"bytes_out\":40000,\"http_requests\":55,\"resets\":9,\"heap_used\":9000000,\"heap_committed\":16777216,"
                + "\"gc_count\":12,\"gc_time_ms\":48,\"cpu_time_ms\":1530,\"sent_ns\":987654321012}");
        assertThat(ControlCodec.decode(line)).isEqualTo(new ControlMessage.Heartbeat(withJvm, 987_654_321_012L));
        // Before the worker has read its MX beans, the figures are left out, not sent as -1.
        assertThat(ControlCodec.encodeInfo(STATS)).doesNotContain("heap_used", "gc_", "cpu_time_ms");
    }

    @Test
    void oddJvmFiguresAreUnknownAndNeverCostTheHeartbeat() {
        String counters = "\"type\":\"heartbeat\",\"pid\":1,\"slot\":0,\"generation\":1,\"uptime_ms\":5,"
                + "\"connections\":2,\"accepted\":3,\"requests\":4,\"bytes_in\":5,\"bytes_out\":6";
        ControlMessage m = ControlCodec.decode("{" + counters + ",\"heap_used\":-5,\"heap_committed\":\"lots\","
                + "\"gc_count\":1.5,\"gc_time_ms\":99999999999999999999,\"cpu_time_ms\":null}");
        WorkerStats s = ((ControlMessage.Heartbeat) m).stats();
        assertThat(s.jvm()).isEqualTo(WorkerStats.Jvm.UNKNOWN);
        assertThat(s.connections()).isEqualTo(2);
        assertThat(((ControlMessage.Heartbeat) ControlCodec.decode("{" + counters + "}")).stats().jvm())
                .as("a worker older than the figures").isEqualTo(WorkerStats.Jvm.UNKNOWN);
    }

    @Test
    void readsStatsOfAnOlderWorkerWithoutTheFieldsAddedSince() {
        assertThat(ControlCodec.decodeInfo("{\"pid\":1,\"slot\":0,\"generation\":1,\"uptime_ms\":5,"
                + "\"connections\":0,\"accepted\":0,\"requests\":0,\"bytes_in\":0,\"bytes_out\":0}").httpRequests())
                .isZero();
        assertThat(ControlCodec.decodeInfo("{\"pid\":1,\"slot\":0,\"generation\":1,\"uptime_ms\":5,\"connections\":0,"
                + "\"accepted\":0,\"requests\":0,\"bytes_in\":0,\"bytes_out\":0,\"http_requests\":3}").resets())
                .isZero();
    }

    @Test
    void ignoresUnknownFieldsSoOlderSupervisorsCanReadNewerWorkers() {
        assertThat(ControlCodec.decode("{\"type\":\"drain\",\"why\":\"reload\",\"extra\":{\"a\":[1,2]},\"f\":1.5,\"b\":true}"))
                .isEqualTo(new ControlMessage.Drain());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "   ", "null", "[]", "\"ready\"", "{", "{}", "{\"type\":1}", "{\"type\":\"nope\"}",
        "{\"type\":\"ready\"}", "{\"type\":\"ready\",\"pid\":\"x\",\"slot\":0,\"generation\":1,\"port\":1}",
        "{\"type\":\"ready\",\"pid\":1,\"slot\":99999999999,\"generation\":1,\"port\":1}",
        "{\"type\":\"drain\"} trailing", "{\"type\":\"drain\"}{\"type\":\"drain\"}",
        "{\"type\":\"fatal\",\"exit_code\":3}",
        "{\"type\":\"promote\"}", "{\"type\":\"promote\",\"slot\":-1}", "{\"type\":\"promote\",\"slot\":\"1\"}",
        "{\"type\":\"booted\",\"pid\":1,\"generation\":1}"
    })
    void rejectsMalformedLinesWithOneException(String line) {
        assertThatThrownBy(() -> ControlCodec.decode(line))
                .isInstanceOf(ControlCodec.MalformedMessageException.class);
    }

    @Test
    void rejectsOverlongAndDeeplyNestedInput() {
        String deep = "{\"type\":\"drain\",\"x\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        assertThatThrownBy(() -> ControlCodec.decode(deep)).isInstanceOf(ControlCodec.MalformedMessageException.class);
        String longLine = "{\"type\":\"drain\",\"x\":\"" + "a".repeat(ControlCodec.MAX_LINE) + "\"}";
        assertThatThrownBy(() -> ControlCodec.decode(longLine))
                .isInstanceOf(ControlCodec.MalformedMessageException.class);
    }
}
