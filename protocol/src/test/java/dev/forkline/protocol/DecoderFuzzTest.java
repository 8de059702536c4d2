package dev.forkline.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Fuzzes the control-channel decoders: whatever a (broken) worker writes, the supervisor's decoder
 * either returns a message or throws its one documented exception, and never buffers without bound.
 * Bounded: a fixed number of tries per property.
 */
class DecoderFuzzTest {

    @Property(tries = 5000)
    void controlDecoderReturnsAMessageOrItsOneException(@ForAll("controlish") String line) {
        try {
            ControlMessage m = ControlCodec.decode(line);
            assertThat(ControlCodec.decode(ControlCodec.encode(m))).isEqualTo(m);
        } catch (ControlCodec.MalformedMessageException e) {
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 2000)
    void everyMessageSurvivesTheRoundTrip(@ForAll("messages") ControlMessage m) {
        String line = ControlCodec.encode(m);
        assertThat(line).doesNotContain("\n").doesNotContain("\r");
        assertThat(ControlCodec.decode(line)).isEqualTo(m);
    }

    @Property(tries = 2000)
    void lineReaderSplitsLikeTheSpecAndStaysBounded(@ForAll("bytesWithNewlines") byte[] input,
                                                    @ForAll @IntRange(min = 1, max = 24) int maxLine) throws IOException {
        LineReader reader = new LineReader(new ByteArrayInputStream(input), maxLine);
        List<String> expected = new ArrayList<>();
        String text = new String(input, StandardCharsets.UTF_8);
        // Reference: split on LF, drop one CR before it; a last line without LF still counts.
        String[] parts = text.split("\n", -1);
        boolean tooLong = false;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && p.isEmpty()) {
                break;
            }
            byte[] raw = p.getBytes(StandardCharsets.UTF_8);
            int len = raw.length > 0 && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
            if (len > maxLine || raw.length > maxLine + 1) {
                tooLong = true;
                break;
            }
            expected.add(p.endsWith("\r") ? p.substring(0, p.length() - 1) : p);
        }
        List<String> got = new ArrayList<>();
        if (tooLong) {
            assertThatThrownBy(() -> {
                String l;
                while ((l = reader.readLine()) != null) {
                    got.add(l);
                }
            }).isInstanceOf(LineReader.LineTooLongException.class);
            assertThat(expected).startsWith(got.toArray(new String[0]));
        } else {
            String l;
            while ((l = reader.readLine()) != null) {
                got.add(l);
            }
            assertThat(got).isEqualTo(expected);
        }
    }

    @Provide
    Arbitrary<String> controlish() {
        Arbitrary<String> fragments = Arbitraries.of("{", "}", "[", "]", ":", ",", "\"type\"", "\"ready\"",
                "\"heartbeat\"", "\"fatal\"", "\"drain\"", "\"stop\"", "\"booted\"", "\"promote\"", "\"held\"", "\"pid\"",
                "\"slot\"", "\"generation\"",
                "\"port\"", "\"reason\"", "\"exit_code\"", "1", "-1", "99999999999999999999", "1.5", "true", "null",
                "\"\\u0000\"", "\"\\ud800\"", " ");
        return Arbitraries.oneOf(
                fragments.list().ofMaxSize(25).map(l -> String.join("", l)),
                Arbitraries.strings().ofMaxLength(60));
    }

    @Provide
    Arbitrary<ControlMessage> messages() {
        Arbitrary<Long> longs = Arbitraries.longs().between(0, Long.MAX_VALUE);
        Arbitrary<Integer> ints = Arbitraries.integers();
        // A JVM figure is a non-negative integer or unknown (-1), which the encoder leaves out.
        Arbitrary<Long> figures = Arbitraries.oneOf(longs, Arbitraries.just(-1L));
        Arbitrary<WorkerStats> stats = Combinators.combine(
                List.of(longs, ints.map(Integer::longValue), ints.map(Integer::longValue), longs, longs, longs, longs, longs,
                        longs, longs, longs, figures, figures, figures, figures, figures))
                .as(v -> new WorkerStats(v.get(0), v.get(1).intValue(), v.get(2).intValue(), v.get(3), v.get(4),
                        v.get(5), v.get(6), v.get(7), v.get(8), v.get(9), v.get(10),
                        new WorkerStats.Jvm(v.get(11), v.get(12), v.get(13), v.get(14), v.get(15))));
        return Arbitraries.oneOf(
                Combinators.combine(longs, ints, ints,
                        Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(40).list().ofMaxSize(4))
                        .as(ControlMessage.Ready::new),
                Combinators.combine(longs, ints,
                        Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(40).list().ofMaxSize(4))
                        .as(ControlMessage.Booted::new),
                Arbitraries.integers().between(0, Integer.MAX_VALUE).map(ControlMessage.Promote::new),
                stats.map(ControlMessage.Heartbeat::new),
                Combinators.combine(ints, Arbitraries.strings().ofMaxLength(200)).as(ControlMessage.Fatal::new),
                Arbitraries.just(new ControlMessage.Drain()),
                Arbitraries.just(new ControlMessage.Stop()));
    }

    @Provide
    Arbitrary<byte[]> bytesWithNewlines() {
        return Arbitraries.oneOf(
                Arbitraries.of("\n", "\r\n", "\r", "a", "bc", "PONG", "x".repeat(20), "\u00e9")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.strings().alpha().ofMaxLength(5).map(s -> s.getBytes(StandardCharsets.UTF_8)))
                .list().ofMaxSize(30).map(l -> {
                    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
                    l.forEach(b::writeBytes);
                    return b.toByteArray();
                });
    }
}
