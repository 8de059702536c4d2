package dev.forkline.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineReaderTest {

    private static LineReader reader(String s, int max) {
        return new LineReader(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)), max);
    }

    @Test
    void dropsTheCrBeforeLfAndKeepsOtherCrs() throws IOException {
        LineReader r = reader("a\r\nb\nc\rd\n\r\n\n", 100);
        assertThat(r.readLine()).isEqualTo("a");
        assertThat(r.readLine()).isEqualTo("b");
        assertThat(r.readLine()).isEqualTo("c\rd");
        assertThat(r.readLine()).isEmpty();
        assertThat(r.readLine()).isEmpty();
        assertThat(r.readLine()).isNull();
    }

    @Test
    void returnsAFinalLineWithoutLfThenNull() throws IOException {
        LineReader r = reader("x\nlast", 100);
        assertThat(r.readLine()).isEqualTo("x");
        assertThat(r.readLine()).isEqualTo("last");
        assertThat(r.readLine()).isNull();
    }

    @Test
    void acceptsALineOfExactlyTheMaximumWithOrWithoutCr() throws IOException {
        String line = "y".repeat(16);
        LineReader r = reader(line + "\n" + line + "\r\n", 16);
        assertThat(r.readLine()).isEqualTo(line);
        assertThat(r.readLine()).isEqualTo(line);
    }

    @Test
    void refusesALineOverTheMaximumWithoutReadingItAll() {
        // An endless stream of 'z' with no LF: the reader must give up, not buffer forever.
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 'z';
            }
        };
        assertThatThrownBy(() -> new LineReader(endless, 1000).readLine())
                .isInstanceOf(LineReader.LineTooLongException.class);
    }

    @Test
    void readsLinesSplitAcrossReadsOfOneByte() throws IOException {
        byte[] data = "PONG\r\n4242\r\n".getBytes(StandardCharsets.US_ASCII);
        InputStream trickle = new InputStream() {
            int i;

            @Override
            public int read() {
                return i < data.length ? data[i++] : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int c = read();
                if (c < 0) {
                    return -1;
                }
                b[off] = (byte) c;
                return 1;
            }
        };
        LineReader r = new LineReader(trickle, 100);
        assertThat(r.readLine()).isEqualTo("PONG");
        assertThat(r.readLine()).isEqualTo("4242");
        assertThat(r.readLine()).isNull();
    }

    @Test
    void skipsTheRestOfAnOverlongLineAndReadsOn() throws IOException {
        LineReader r = reader("ok\n" + "z".repeat(50_000) + "\nnext\n" + "w".repeat(100), 16);
        assertThat(r.readLine()).isEqualTo("ok");
        assertThatThrownBy(r::readLine).isInstanceOf(LineReader.LineTooLongException.class);
        assertThat(r.skipLine()).isTrue();
        assertThat(r.readLine()).isEqualTo("next");
        assertThatThrownBy(r::readLine).isInstanceOf(LineReader.LineTooLongException.class);
        assertThat(r.skipLine()).as("end of stream").isFalse();
        assertThat(r.readLine()).isNull();
    }
}
