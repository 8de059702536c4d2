package dev.forkline.worker;

import dev.forkline.protocol.Command;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One client connection of the line protocol: the only handler in its channel's pipeline, on the
 * worker's single event loop. Framing is Netty's {@link ByteToMessageDecoder} (it keeps a partial
 * line across reads and frees it once consumed, so an idle connection holds no buffer) with the LF
 * search of {@code LineBasedFrameDecoder} ({@link ByteProcessor#FIND_LF}); each line is answered in
 * {@link #decode} where it lies in the read buffer, none travels down the pipeline. Not
 * {@code LineBasedFrameDecoder} itself: its {@code decode} is final, it slices every line, and its
 * too-long failure goes down the pipeline instead of to the handler that must answer it; one
 * handler per connection is also one context less.
 *
 * <p>Why a Netty handler and not a Vert.x {@code NetSocket}: an idle NetSocket costs ~6.6 KB of
 * heap, 4.1 KB of it the first chunk of the outbound jctools queue that Vert.x allocates per socket
 * for writes from other threads (measured with a live heap histogram at 10 000 idle connections,
 * docs/SCALE.md). Here everything happens on the event loop that owns the channel, so no queue is
 * needed; an idle connection is the Netty channel, this handler and its context.
 *
 * <ul>
 *   <li>The answers to all lines of one read are written at once, at the end of the read.</li>
 *   <li>FORKLINE_MAX_LINE: a complete line longer than the limit, or a partial one that passes it,
 *       gets {@code ERR line too long} and the connection is closed; so nothing buffered grows past
 *       the limit.</li>
 *   <li>Backpressure: when the channel is not writable after a read's answers are flushed, reading
 *       stops ({@code autoRead} off) until it is writable again, so a client that sends without
 *       reading cannot make the worker buffer without bound.</li>
 *   <li>Line timeout: a line must be complete within FORKLINE_LINE_TIMEOUT of its first byte, or the
 *       connection gets {@code ERR line timeout} and is closed (slowloris).</li>
 *   <li>A client's reset is ordinary traffic: counted ({@code resets}), logged at debug only.</li>
 * </ul>
 */
final class LineConnection extends ByteToMessageDecoder {
    private static final Logger LOG = Logger.getLogger(LineConnection.class.getName());

    private final LineServer server;
    private ChannelHandlerContext ctx;
    /** The connection registry's list and clock (event-loop confined). */
    LineConnection prev;
    LineConnection next;
    long lastActiveTick;

    /** Answers of the current read: one buffer, or null. */
    private ByteBuf out;
    private boolean outIsBatch;
    /** Lines answered so far: the line timer checks whether the line it timed has completed. */
    private int lines;
    /** Bytes after the reader index already searched for LF without finding one. */
    private int scanned;
    private int lineTimerLines;
    private ScheduledFuture<?> lineTimer;
    private boolean closing;
    private boolean closed;
    private boolean paused;
    /** Whether anything arrived since the last quiet check of a drain. */
    boolean heardSinceCheck;

    LineConnection(LineServer server) {
        this.server = server;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        server.opened(this);
        ctx.writeAndFlush(server.answers.pid(), ctx.voidPromise()); // the greeting
        server.counters.bytesOut += server.answers.pidLength();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closing = true; // nothing is answered after the close, not even by decodeLast
        closed = true;
        server.closed(this);
        cancelLineTimer();
        if (out != null) {
            out.release();
            out = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf b) {
            server.counters.bytesIn += b.readableBytes();
        }
        heardSinceCheck = true;
        lastActiveTick = server.sweeper.now();
        super.channelRead(ctx, msg);
    }

    /**
     * Answers every complete line of the bytes received so far (LF ends a line, a CR before it is
     * dropped); the rest waits for its LF in the decoder's cumulation. Lines are read in place: no
     * copy and no slice per line.
     */
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> ignored) {
        while (!closing) {
            int from = in.readerIndex() + scanned;
            int lf = in.forEachByte(from, in.writerIndex() - from, ByteProcessor.FIND_LF);
            if (lf < 0) {
                scanned = in.readableBytes(); // the next read resumes the search where this one ended
                break;
            }
            scanned = 0;
            int start = in.readerIndex();
            int end = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
            in.readerIndex(lf + 1);
            onLine(in, start, end - start);
        }
        // Refused as soon as byte maxLine + 1 of a line arrives, unless it is a CR that may turn out
        // to precede the LF of a line of exactly maxLine bytes.
        int partial = in.readableBytes();
        if (!closing && partial > server.maxLine
                && (partial > server.maxLine + 1 || in.getByte(in.writerIndex() - 1) != '\r')) {
            tooLong();
        }
        if (closing) {
            in.skipBytes(in.readableBytes());
            scanned = 0;
        }
    }

    private void onLine(ByteBuf in, int start, int len) {
        lines++;
        if (len > server.maxLine) {
            tooLong();
            return;
        }
        server.counters.requests++;
        switch (Command.of(len, len == 4 ? in.getInt(start) : 0)) {
            case PING -> respond(server.answers.pong());
            case INFO -> respond(server.answers.info());
            case QUIT -> {
                respond(server.answers.bye());
                closing = true;
            }
            case PID -> respond(server.answers.pid());
        }
    }

    private void tooLong() {
        if (!closing) {
            respond(server.answers.lineTooLong());
            closing = true;
        }
    }

    /**
     * Adds an answer to this read's answers: the first is kept as it is (most reads hold one line),
     * a second one starts a batch buffer. {@code answer} is ours: a duplicate of a pre-encoded
     * (unreleasable) answer, or INFO built for this request.
     */
    private void respond(ByteBuf answer) {
        if (out == null) {
            out = answer;
            return;
        }
        if (!outIsBatch) {
            ByteBuf batch = ctx.alloc().ioBuffer(256);
            batch.writeBytes(out);
            out.release();
            out = batch;
            outIsBatch = true;
        }
        out.writeBytes(answer);
        answer.release();
    }

    /** The end of a read: one write for all its answers, then backpressure and the line clock. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // Not ByteToMessageDecoder's: it asks for another read when no message went down the
        // pipeline (none ever does here), which would defeat the pause below.
        discardSomeReadBytes();
        ByteBuf answers = out;
        out = null;
        outIsBatch = false;
        if (answers != null) {
            server.counters.bytesOut += answers.readableBytes();
            if (closing) {
                ctx.writeAndFlush(answers).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush(answers, ctx.voidPromise());
        } else if (closing) {
            ctx.close();
            return;
        }
        if (!ctx.channel().isWritable()) {
            // We stop reading, so the client cannot finish its line: the line clock stops too.
            paused = true;
            cancelLineTimer();
            ctx.channel().config().setAutoRead(false);
        } else {
            watchLine();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (paused && ctx.channel().isWritable()) {
            paused = false;
            ctx.channel().config().setAutoRead(true);
            watchLine();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Errors.NativeIoException n && (n.expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE
                || n.expectedErr() == Errors.ERRNO_EPIPE_NEGATIVE)) {
            // A client that resets its connection is ordinary traffic: a counter, not a log line
            // (a storm of 14 667 resets once made 14 667 ERROR lines).
            server.counters.resets++;
            LOG.log(Level.FINE, "connection reset by the client", cause);
        } else if (cause instanceof IOException) {
            server.counters.resets++;
            LOG.log(Level.FINE, "connection I/O error", cause);
        } else {
            LOG.log(Level.WARNING, "closing a connection after an unexpected error", cause);
        }
        ctx.close();
    }

    /** Whether part of a line has arrived without its LF. */
    boolean partialLine() {
        return internalBuffer().isReadable();
    }

    /** Closes the connection now (idle timeout, drain deadline, stop). */
    void close() {
        if (!closed) {
            ctx.close();
        }
    }

    /** Starts the line timer when a line begins, stops it when no line is pending. */
    private void watchLine() {
        if (!partialLine()) {
            cancelLineTimer();
        } else if (lineTimer == null) {
            lineTimerLines = lines;
            lineTimer = ctx.executor().schedule(this::onLineTimeout, server.lineTimeoutMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void onLineTimeout() {
        lineTimer = null;
        if (closed || closing || paused || !partialLine()) {
            return;
        }
        if (lines != lineTimerLines) {
            // The line we timed completed; the one pending now began later: give it a full timeout.
            watchLine();
            return;
        }
        closing = true;
        ByteBuf err = server.answers.lineTimeout();
        server.counters.bytesOut += err.readableBytes();
        ctx.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
    }

    private void cancelLineTimer() {
        if (lineTimer != null) {
            lineTimer.cancel(false);
            lineTimer = null;
        }
    }
}
