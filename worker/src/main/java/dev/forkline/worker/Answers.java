package dev.forkline.worker;

import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.Responses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;

/**
 * The worker's responses, encoded once at start: the hot path writes a duplicate of these buffers
 * (an index pair over the same bytes, so one instance serves every connection). They live in direct
 * memory, so that Netty's epoll transport writes them without first copying them out of the heap.
 * The line protocol takes them as Netty buffers ({@link LineConnection}), the HTTP facet as Vert.x
 * buffers.
 */
final class Answers {
    private static final ByteBuf PONG = direct(Responses.PONG);
    private static final ByteBuf BYE = direct(Responses.BYE);
    private static final ByteBuf BUSY = direct(Responses.BUSY);

    private final ByteBuf pid;
    private final ByteBuf lineTooLong;
    private final ByteBuf lineTimeout;
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
        this.httpPid = BufferInternal.buffer(direct((id.pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    /** The greeting, and the answer to PID and to every unknown line. */
    ByteBuf pid() {
        return pid.duplicate();
    }

    int pidLength() {
        return pid.readableBytes();
    }

    ByteBuf pong() {
        return PONG.duplicate();
    }

    ByteBuf bye() {
        return BYE.duplicate();
    }

    /** Sent instead of the greeting when the worker holds FORKLINE_MAX_CONNECTIONS connections. */
    ByteBuf busy() {
        return BUSY.duplicate();
    }

    ByteBuf lineTooLong() {
        return lineTooLong.duplicate();
    }

    ByteBuf lineTimeout() {
        return lineTimeout.duplicate();
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

    /** An unreleasable direct buffer: shared by every write (as duplicates), never freed. */
    static ByteBuf direct(byte[] bytes) {
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length, bytes.length).writeBytes(bytes));
    }

    /** INFO is built per request: it reports live counters. */
    ByteBuf info() {
        return Unpooled.wrappedBuffer(Responses.line(ControlCodec.encodeInfo(counters.snapshot(id))));
    }

    /** INFO for the HTTP facet: the JSON line without its CR LF, then LF. */
    Buffer httpInfo() {
        return Buffer.buffer(Responses.line(ControlCodec.encodeInfo(counters.snapshot(id))));
    }
}
