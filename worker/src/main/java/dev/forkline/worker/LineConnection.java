package dev.forkline.worker;

import dev.forkline.protocol.Command;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;

/**
 * One client connection, on the worker's single event loop.
 *
 * <p>Framing is Vert.x's {@link RecordParser} on LF. All lines that arrive in one read are answered
 * in order into one buffer that is written once (pipelining costs one write per read, not one per
 * line). When the socket's write queue is full the connection stops reading until it drains, so a
 * client that sends without reading cannot make the worker buffer without bound.
 */
final class LineConnection {
    /**
     * During a drain, a connection is closed once it has been quiet this long: no partial line and
     * nothing received. A client in the middle of a short exchange (greeting, request, QUIT) finishes
     * it instead of racing the close; whatever is still open at FORKLINE_DRAIN_TIMEOUT is closed.
     */
    static final long DRAIN_QUIET_MILLIS = 1000;

    private final Vertx vertx;
    private final NetSocket socket;
    private final Answers answers;
    private final Counters counters;
    private final int maxLine;
    private final RecordParser parser;

    /** Bytes received and bytes consumed as complete lines (LF included): a difference is a partial line. */
    private long received;
    private long consumed;
    /** Responses of the current read, written once at its end. */
    private Buffer single;
    private Buffer batch;
    /** Set by QUIT or an error: answer nothing more, close after the pending write. */
    private boolean closing;
    private boolean closed;
    /** Whether anything arrived since the last quiet check of a drain. */
    private boolean heardSinceCheck;

    LineConnection(Vertx vertx, NetSocket socket, Answers answers, Counters counters, int maxLine) {
        this.vertx = vertx;
        this.socket = socket;
        this.answers = answers;
        this.counters = counters;
        this.maxLine = maxLine;
        // +1: the CR that may precede the LF is not part of the line but is part of the record.
        this.parser = RecordParser.newDelimited("\n").maxRecordSize(maxLine + 1);
        parser.handler(this::onLine);
        parser.exceptionHandler(e -> tooLong());
    }

    void start() {
        counters.connections++;
        socket.closeHandler(v -> {
            closed = true;
            counters.connections--;
        });
        socket.handler(this::onData);
        socket.shutdownHandler(v -> onShutdown());
        write(answers.pid()); // the greeting
    }

    private void onData(Buffer data) {
        int n = data.length();
        counters.bytesIn += n;
        received += n;
        heardSinceCheck = true;
        if (closing) {
            return;
        }
        parser.handle(data);
        flush();
        if (closing) {
            socket.close();
        } else if (socket.writeQueueFull()) {
            socket.pause();
            socket.drainHandler(v -> socket.resume());
        }
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

    /** The worker is draining (its listener is closed): close this connection once it is quiet. */
    private void onShutdown() {
        heardSinceCheck = false;
        vertx.setTimer(DRAIN_QUIET_MILLIS, t -> closeIfQuiet());
    }

    private void closeIfQuiet() {
        if (closed) {
            return;
        }
        if (!heardSinceCheck && received == consumed) {
            socket.close();
        } else {
            heardSinceCheck = false;
            vertx.setTimer(DRAIN_QUIET_MILLIS, t -> closeIfQuiet());
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

    private void flush() {
        if (single != null) {
            write(single);
            single = null;
        } else if (batch != null) {
            write(batch);
            batch = null;
        }
    }

    private void write(Buffer b) {
        counters.bytesOut += b.length();
        socket.write(b);
    }

}
