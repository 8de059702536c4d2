package dev.forkline.worker;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * One client connection, on the worker's single event loop: the socket side of a
 * {@link RequestDecoder}.
 *
 * <ul>
 *   <li>The answers to all lines of one read are written at once.</li>
 *   <li>Backpressure: when the socket's write queue is full the connection stops reading until it
 *       drains, so a client that sends without reading cannot make the worker buffer without bound.</li>
 *   <li>Line timeout: a line must be complete within FORKLINE_LINE_TIMEOUT of its first byte, or the
 *       connection gets {@code ERR line timeout} and is closed (slowloris).</li>
 *   <li>Drain: once the worker drains, the connection is closed when quiet.</li>
 * </ul>
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
    private final IdleSweeper idle;
    private final int maxLine;
    private final long lineTimeoutMillis;
    /** Created on the first byte: most short connections (greet and close) never send one. */
    private RequestDecoder decoder;
    /** The idle sweeper's list and clock (event-loop confined). */
    LineConnection prev;
    LineConnection next;
    long lastActiveTick;

    private boolean closed;
    /** Whether anything arrived since the last quiet check of a drain. */
    private boolean heardSinceCheck;
    /** The line-timeout timer while a partial line is pending, else -1; and where that line began. */
    private long lineTimer = -1;
    private long lineStartConsumed;

    LineConnection(Vertx vertx, NetSocket socket, Answers answers, Counters counters, IdleSweeper idle,
                   int maxLine, long lineTimeoutMillis) {
        this.vertx = vertx;
        this.socket = socket;
        this.answers = answers;
        this.counters = counters;
        this.idle = idle;
        this.maxLine = maxLine;
        this.lineTimeoutMillis = lineTimeoutMillis;
    }

    void start() {
        counters.connections++;
        lastActiveTick = idle.now();
        idle.add(this);
        socket.closeHandler(v -> {
            closed = true;
            counters.connections--;
            idle.remove(this);
            cancelLineTimer();
        });
        socket.handler(this::onData);
        socket.shutdownHandler(v -> onShutdown());
        write(answers.pid()); // the greeting
    }

    private void onData(Buffer data) {
        counters.bytesIn += data.length();
        heardSinceCheck = true;
        lastActiveTick = idle.now();
        if (decoder == null) {
            decoder = new RequestDecoder(answers, counters, maxLine);
        }
        Buffer out = decoder.feed(data);
        if (out != null) {
            write(out);
        }
        if (decoder.closing()) {
            socket.close();
            return;
        }
        if (socket.writeQueueFull()) {
            // We stop reading, so the client cannot finish its line: the line clock stops too.
            cancelLineTimer();
            socket.pause();
            socket.drainHandler(v -> {
                socket.resume();
                watchLine();
            });
        } else {
            watchLine();
        }
    }

    /** Closes a connection the idle sweeper found quiet for FORKLINE_IDLE_TIMEOUT. */
    void closeIdle() {
        socket.close();
    }

    private boolean partialLine() {
        return decoder != null && decoder.partialLine();
    }

    /** Starts the line timer when a line begins, stops it when no line is pending. */
    private void watchLine() {
        if (!partialLine()) {
            cancelLineTimer();
        } else if (lineTimer == -1) {
            lineStartConsumed = decoder.consumed();
            lineTimer = vertx.setTimer(lineTimeoutMillis, t -> onLineTimeout());
        }
    }

    private void onLineTimeout() {
        lineTimer = -1;
        if (closed || !partialLine()) {
            return;
        }
        if (decoder.consumed() != lineStartConsumed) {
            // The line we timed completed; the one pending now began later: give it a full timeout.
            watchLine();
            return;
        }
        write(answers.lineTimeout());
        socket.close();
    }

    private void cancelLineTimer() {
        if (lineTimer != -1) {
            vertx.cancelTimer(lineTimer);
            lineTimer = -1;
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
        if (!heardSinceCheck && !partialLine()) {
            socket.close();
        } else {
            heardSinceCheck = false;
            vertx.setTimer(DRAIN_QUIET_MILLIS, t -> closeIfQuiet());
        }
    }

    private void write(Buffer b) {
        counters.bytesOut += b.length();
        socket.write(b);
    }
}
