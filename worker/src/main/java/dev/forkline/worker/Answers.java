package dev.forkline.worker;

import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * The worker's responses, encoded once at start: the hot path writes these buffers as they are
 * (Vert.x writes a slice of a buffer, so one instance serves every connection). They live in direct
 * memory, so that Netty's epoll transport writes them without first copying them out of the heap.
 */
final class Answers {
    static final Buffer PONG = direct(Responses.PONG);
    static final Buffer BYE = direct(Responses.BYE);
    static final Buffer BUSY = direct(Responses.BUSY);

    private final Buffer pid;
    private final Buffer lineTooLong;
    private final Buffer lineTimeout;
    private final Buffer httpPid;
    private final Buffer notFound = Buffer.buffer("not found\n");
    private final Buffer notAllowed = Buffer.buffer("method not allowed\n");
    private final Buffer notImplemented = Buffer.buffer("method not implemented\n");
    private final Counters counters;
    private final WorkerIdentity id;

    Answers(WorkerIdentity id, Counters counters, int maxLine, java.time.Duration lineTimeout) {
        this.id = id;
        this.counters = counters;
        this.pid = direct(Responses.pid(id.pid()));
        this.lineTooLong = direct(Responses.lineTooLong(maxLine));
        this.lineTimeout = direct(Responses.lineTimeout(lineTimeout.toMillis()));
        this.httpPid = direct((id.pid() + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
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
        return switch (status) {
            case 404 -> notFound;
            case 501 -> notImplemented;
            default -> notAllowed;
        };
    }

    /** An unreleasable direct buffer: shared by every write, never freed. */
    static Buffer direct(byte[] bytes) {
        ByteBuf b = Unpooled.directBuffer(bytes.length, bytes.length).writeBytes(bytes);
        return BufferInternal.buffer(Unpooled.unreleasableBuffer(b));
    }

    /** INFO is built per request: it reports live counters. */
    Buffer info() {
        return Buffer.buffer(Responses.line(ControlCodec.encodeInfo(counters.snapshot(id))));
    }
}
