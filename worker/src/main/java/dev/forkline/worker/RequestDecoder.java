package dev.forkline.worker;

import dev.forkline.protocol.Command;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.parsetools.RecordParser;

/**
 * The request side of one connection, without any I/O: the bytes of one read in, the answers to
 * every complete line of it out, in order, as one buffer. Framing is Vert.x's {@link RecordParser}
 * on LF, with {@code maxRecordSize} so that a line without LF cannot grow past FORKLINE_MAX_LINE.
 *
 * <p>After {@code QUIT} or an error it answers nothing more and reports {@link #closing()}.
 * Fuzzed against a reference model in {@code RequestDecoderFuzzTest}.
 */
final class RequestDecoder {
    private final Answers answers;
    private final Counters counters;
    private final int maxLine;
    private final RecordParser parser;

    /** Bytes received and bytes consumed as complete lines (LF included): a difference is a partial line. */
    private long received;
    private long consumed;
    private Buffer single;
    private Buffer batch;
    private boolean closing;

    RequestDecoder(Answers answers, Counters counters, int maxLine) {
        this.answers = answers;
        this.counters = counters;
        this.maxLine = maxLine;
        // +1: the CR that may precede the LF is not part of the line but is part of the record.
        this.parser = RecordParser.newDelimited("\n").maxRecordSize(maxLine + 1);
        parser.handler(this::onLine);
        parser.exceptionHandler(e -> tooLong());
    }

    /**
     * Decodes the bytes of one read. Returns the answers to write (one buffer for the whole read,
     * so a pipelined burst costs one write), or null when there is nothing to write.
     */
    Buffer feed(Buffer data) {
        received += data.length();
        if (!closing) {
            parser.handle(data);
            // The parser refuses a record only past maxLine + 1 bytes (room for the CR before the
            // LF), one byte late when byte maxLine + 1 of a line is not a CR: refuse it as it arrives.
            long partial = received - consumed;
            if (partial > maxLine && (partial > maxLine + 1 || data.getByte(data.length() - 1) != '\r')) {
                tooLong();
            }
        }
        Buffer out = single != null ? single : batch;
        single = null;
        batch = null;
        return out;
    }

    /** After QUIT or an error: write what {@link #feed} returned, then close. */
    boolean closing() {
        return closing;
    }

    /** Whether part of a line has arrived without its LF. */
    boolean partialLine() {
        return received != consumed;
    }

    /** Bytes of complete lines consumed so far (LF included); moves when a line completes. */
    long consumed() {
        return consumed;
    }

    private void onLine(Buffer line) {
        if (closing) {
            return;
        }
        int len = line.length();
        consumed += len + 1;
        if (len > 0 && line.getByte(len - 1) == '\r') {
            len--;
        }
        if (len > maxLine) {
            tooLong();
            return;
        }
        counters.requests++;
        switch (Command.of(len, len == 4 ? line.getInt(0) : 0)) {
            case PING -> respond(Answers.PONG);
            case INFO -> respond(answers.info());
            case QUIT -> {
                respond(Answers.BYE);
                closing = true;
            }
            case PID -> respond(answers.pid());
        }
    }

    private void tooLong() {
        if (!closing) {
            respond(answers.lineTooLong());
            closing = true;
        }
    }

    private void respond(Buffer b) {
        if (single == null && batch == null) {
            single = b;
            return;
        }
        if (batch == null) {
            batch = Buffer.buffer(256);
            batch.appendBuffer(single);
            single = null;
        }
        batch.appendBuffer(b);
    }
}
