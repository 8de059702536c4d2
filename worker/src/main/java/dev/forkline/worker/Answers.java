package dev.forkline.worker;

import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.Responses;
import io.vertx.core.buffer.Buffer;

/**
 * The worker's responses, encoded once at start: the hot path writes these buffers as they are
 * (Vert.x writes a slice of a buffer, so one instance serves every connection).
 */
final class Answers {
    static final Buffer PONG = Buffer.buffer(Responses.PONG);
    static final Buffer BYE = Buffer.buffer(Responses.BYE);
    static final Buffer BUSY = Buffer.buffer(Responses.BUSY);

    private final Buffer pid;
    private final Buffer lineTooLong;
    private final Buffer lineTimeout;
    private final Buffer httpPid;
    private final Buffer notFound = Buffer.buffer("not found\n");
    private final Buffer notAllowed = Buffer.buffer("method not allowed\n");
    private final Counters counters;
    private final WorkerIdentity id;

    Answers(WorkerIdentity id, Counters counters, int maxLine, java.time.Duration lineTimeout) {
        this.id = id;
        this.counters = counters;
        this.pid = Buffer.buffer(Responses.pid(id.pid()));
        this.lineTooLong = Buffer.buffer(Responses.lineTooLong(maxLine));
        this.lineTimeout = Buffer.buffer(Responses.lineTimeout(lineTimeout.toMillis()));
        this.httpPid = Buffer.buffer(id.pid() + "\n");
    }

    /** The greeting, and the answer to PID and to every unknown line. */
    Buffer pid() {
        return pid;
    }

    Buffer lineTooLong() {
        return lineTooLong;
    }

    Buffer lineTimeout() {
        return lineTimeout;
    }

    /** The body of {@code GET /}: the PID and a LF. */
    Buffer httpPid() {
        return httpPid;
    }

    Buffer httpError(int status) {
        return status == 404 ? notFound : notAllowed;
    }

    /** INFO is built per request: it reports live counters. */
    Buffer info() {
        return Buffer.buffer(Responses.line(ControlCodec.encodeInfo(counters.snapshot(id))));
    }
}
