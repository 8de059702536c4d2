package dev.forkline.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.protocol.Command;
import dev.forkline.config.WorkerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Map;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Fuzzes a connection's handler (framing and answers: {@link LineConnection} in a Netty
 * {@link EmbeddedChannel}, each cut one read) with arbitrary bytes cut into arbitrary reads, against
 * a reference model written from docs/PROTOCOL.md: same answers in the same order, no exception,
 * the connection closed exactly when the model closes it, and a partial line never held beyond the
 * limit. Bounded: a fixed number of tries per property.
 */
class LineConnectionFuzzTest {
    private static final int MAX_LINE = 16;
    private static final WorkerIdentity ID = new WorkerIdentity(4242, 0, 1, System.currentTimeMillis());

    @Property(tries = 3000)
    void answersEveryCompleteLineLikeTheSpecWhateverTheBytesAndCuts(
            @ForAll("requestBytes") byte[] input,
            @ForAll @Size(min = 1, max = 12) List<@IntRange(min = 1, max = 40) Integer> cutSizes) {
        Counters counters = new Counters();
        WorkerConfig config = WorkerConfig.from(Map.of("FORKLINE_MAX_LINE", Integer.toString(MAX_LINE)));
        LineServer server = new LineServer(config, new Answers(ID, counters, MAX_LINE, Duration.ofSeconds(30)), counters);
        LineConnection connection = new LineConnection(server);
        EmbeddedChannel channel = new EmbeddedChannel(connection);
        Model model = new Model();
        ByteArrayOutputStream actual = new ByteArrayOutputStream();
        drainOutbound(channel, actual);
        assertThat(actual.toString(StandardCharsets.ISO_8859_1)).isEqualTo("4242\r\n"); // the greeting
        actual.reset();

        int pos = 0;
        int cut = 0;
        while (pos < input.length && channel.isOpen()) {
            int n = Math.min(cutSizes.get(cut++ % cutSizes.size()), input.length - pos);
            byte[] chunk = java.util.Arrays.copyOfRange(input, pos, pos + n);
            pos += n;
            channel.writeInbound(Unpooled.wrappedBuffer(chunk)); // one read, then its read-complete
            drainOutbound(channel, actual);
            model.feed(chunk);
            assertThat(channel.isOpen()).isEqualTo(!model.closing);
            // Bounded: a partial line longer than the limit has already ended the connection.
            if (channel.isOpen()) {
                assertThat(model.partial.size()).isLessThanOrEqualTo(MAX_LINE + 1);
            }
        }
        channel.finishAndReleaseAll();
        assertThat(counters.connections).as("closed connections are no longer counted").isZero();

        List<String> got = lines(actual.toString(StandardCharsets.ISO_8859_1));
        assertThat(got).hasSameSizeAs(model.answers);
        for (int i = 0; i < got.size(); i++) {
            String want = model.answers.get(i);
            if (want.equals("INFO")) {
                assertThat(got.get(i)).startsWith("{\"pid\":4242,").endsWith("}");
            } else {
                assertThat(got.get(i)).isEqualTo(want);
            }
        }
        assertThat(counters.requests).isEqualTo(model.requests);
    }

    @Provide
    Arbitrary<byte[]> requestBytes() {
        // Mostly protocol-shaped input (commands, CR, LF, long runs), with raw bytes (NUL, invalid UTF-8).
        Arbitrary<byte[]> pieces = Arbitraries.oneOf(
                Arbitraries.of("PING", "ping", "INFO", "QUIT", "quit", "PID", "pInG", "PINGX", "QUI", "\r", "\n",
                        "\r\n", "\n\n", "x".repeat(MAX_LINE), "y".repeat(MAX_LINE + 1), "\u00e9")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8)),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(8));
        return pieces.list().ofMaxSize(30).map(list -> {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            list.forEach(b::writeBytes);
            return b.toByteArray();
        });
    }

    private static void drainOutbound(EmbeddedChannel channel, ByteArrayOutputStream to) {
        ByteBuf b;
        while ((b = channel.readOutbound()) != null) {
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            to.writeBytes(bytes);
        }
    }

    private static List<String> lines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i;
        while ((i = s.indexOf("\r\n", start)) >= 0) {
            out.add(s.substring(start, i));
            start = i + 2;
        }
        assertThat(start).as("every answer ends in CR LF").isEqualTo(s.length());
        return out;
    }

    /** The protocol as docs/PROTOCOL.md states it, written plainly. */
    private static final class Model {
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        final List<String> answers = new ArrayList<>();
        boolean closing;
        long requests;

        void feed(byte[] chunk) {
            for (byte b : chunk) {
                if (closing) {
                    return;
                }
                if (b != '\n') {
                    partial.write(b);
                    continue;
                }
                byte[] line = partial.toByteArray();
                partial.reset();
                int len = line.length;
                if (len > 0 && line[len - 1] == '\r') {
                    len--;
                }
                if (len > MAX_LINE) {
                    answers.add("ERR line too long (max " + MAX_LINE + " bytes)");
                    closing = true;
                    return;
                }
                requests++;
                String text = new String(line, 0, len, StandardCharsets.ISO_8859_1);
                switch (Command.of(text)) {
                    case PING -> answers.add("PONG");
                    case INFO -> answers.add("INFO");
                    case QUIT -> {
                        answers.add("BYE");
                        closing = true;
                    }
                    case PID -> answers.add("4242");
                }
            }
            // Checked at the end of each read: a line without LF is refused as soon as it is longer
            // than the limit, unless its last byte is a CR that may end a line of exactly MAX_LINE.
            byte[] p = partial.toByteArray();
            if (!closing && (p.length > MAX_LINE + 1 || p.length == MAX_LINE + 1 && p[MAX_LINE] != '\r')) {
                answers.add("ERR line too long (max " + MAX_LINE + " bytes)");
                closing = true;
            }
        }
    }
}
