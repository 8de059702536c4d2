package dev.forkline.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads LF-terminated lines from a blocking stream, dropping a CR before the LF, with a bound on the
 * line length so that a misbehaving peer cannot make the reader buffer without limit.
 *
 * <p>Used by {@link LineClient} for responses and by the supervisor for its workers' control channel.
 * Not thread-safe.
 */
public final class LineReader {
    private final InputStream in;
    private final int maxLine;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);

    /** Thrown when a line exceeds the reader's bound. */
    public static final class LineTooLongException extends IOException {
        public LineTooLongException(int maxLine) {
            super("line longer than " + maxLine + " bytes");
        }
    }

    public LineReader(InputStream in, int maxLine) {
        if (maxLine < 1) {
            throw new IllegalArgumentException("maxLine must be >= 1");
        }
        this.in = in;
        this.maxLine = maxLine;
    }

    /**
     * Returns the next line without its terminator, or {@code null} at end of stream. A final line
     * without LF is returned as a line, as {@code BufferedReader} does.
     */
    public String readLine() throws IOException {
        line.reset();
        boolean any = false;
        while (true) {
            if (pos == limit && !fill()) {
                return any ? finish() : null;
            }
            any = true;
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            line.write(buf, start, pos - start);
            if (line.size() > maxLine + 1) { // +1: a CR that the LF will strip
                throw new LineTooLongException(maxLine);
            }
            if (pos < limit) {
                pos++; // the LF
                return finish();
            }
        }
    }

    /**
     * After a {@link LineTooLongException}: discards the rest of that line, through its LF, without
     * buffering it, so that reading can go on with the next line. Returns false at end of stream.
     */
    public boolean skipLine() throws IOException {
        line.reset();
        while (true) {
            if (pos == limit && !fill()) {
                return false;
            }
            while (pos < limit) {
                if (buf[pos++] == '\n') {
                    return true;
                }
            }
        }
    }

    /** Reads more into the empty buffer; false at end of stream. */
    private boolean fill() throws IOException {
        limit = Math.max(0, in.read(buf, 0, buf.length));
        pos = 0;
        return limit > 0;
    }

    private String finish() throws LineTooLongException {
        byte[] bytes = line.toByteArray();
        int len = bytes.length;
        if (len > 0 && bytes[len - 1] == '\r') {
            len--;
        }
        if (len > maxLine) {
            throw new LineTooLongException(maxLine);
        }
        return new String(bytes, 0, len, StandardCharsets.UTF_8);
    }
}
