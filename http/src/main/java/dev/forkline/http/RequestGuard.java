package dev.forkline.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.net.impl.ShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One connection's guard, first in its pipeline: it sees the client's bytes before Vert.x's HTTP/1.1
 * decoder and lets through only complete, unambiguous requests (RFC 9112). It follows the framing
 * itself (request heads, Content-Length bodies, chunk sizes and extensions, trailers) so that it knows
 * where each request starts; the decoder behind it then parses the same bytes and cannot disagree.
 *
 * <p>A request it refuses gets a short {@code text/plain} answer with the status the RFC names, in
 * HTTP/1.1, after the answers to the requests before it (pipelining keeps its order), and then a
 * lingering close: FIN first, then reading and discarding until the client closes, at most
 * {@link #LINGER_TIMEOUT_MILLIS} of silence and {@link #LINGER_TIME_MILLIS} in all (nginx's
 * lingering_timeout and lingering_time). Closing a socket with unread data makes the kernel send RST,
 * which can destroy the answer before the client reads it (RFC 9112 §9.6).
 *
 * <p>Its companion {@link Exchanges} sits behind the HTTP encoder: it counts the answers, adds the
 * {@code Date} header, and switches the guard off when the connection leaves HTTP/1.1 (101, or 2xx
 * to CONNECT). A connection that turns to HTTP/2 (the preface, or a 101 to {@code Upgrade: h2c})
 * gets {@link H2Dates} behind the guard instead, for the {@code Date} of its responses.
 */
final class RequestGuard extends ChannelDuplexHandler {
    static final long LINGER_TIMEOUT_MILLIS = 5_000;
    static final long LINGER_TIME_MILLIS = 30_000;
    static final String NAME = "forklineGuard";
    /** During a drain, a connection quiet this long (no request in progress, nothing received) is closed. */
    static final long DRAIN_QUIET_MILLIS = 1000;
    static final String EXCHANGES = "forklineExchanges";
    private static final byte[] H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, PASS, REJECTED }

    private final HttpGuard.Limits limits;
    private State state = State.HEAD;
    /** Bytes left in a Content-Length body or in a chunk. */
    private long remaining;
    /** Header bytes seen (Netty counts field lines without CR LF against the same limit, trailers too). */
    private int fieldBytes;
    private int headFieldBytes;
    /** A line-based element cut by the end of a read, joined with the next read. */
    private ByteBuf carried;
    private byte[] scratch = new byte[512];
    private boolean firstBytes = true;
    private boolean exchangesInstalled;
    /** Bytes forwarded so far that match the HTTP/2 preface (while Vert.x's detector is undecided). */
    private int prefaceMatched;

    /** Request heads given to the decoder, answers begun and answers completed. */
    private long heads;
    private long started;
    private long completed;
    private long connectHead = -1;

    private Rejection rejection;
    private boolean answered;
    /** The worker is draining: every answer says close, the connection closes when done or quiet ({@link #drain}). */
    private boolean shuttingDown;
    private boolean heardSinceCheck;
    private ScheduledFuture<?> quietTimer;
    private ChannelHandlerContext ctx;
    private long lingerStart;
    private long lastRead;
    private ScheduledFuture<?> lingerTimer;

    /**
     * A refused request: its status, and which request it is (the count of heads before it + 1), or
     * the request whose body broke (its head was already given to the application).
     */
    private record Rejection(int status, String reason, boolean headMethod, long request, boolean bodyBroken) {
    }

    RequestGuard(HttpGuard.Limits limits) {
        this.limits = limits;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        heardSinceCheck = true;
        if (state == State.PASS) {
            ctx.fireChannelRead(in);
            return;
        }
        if (state == State.REJECTED) {
            lastRead = System.nanoTime();
            in.release();
            return;
        }
        ByteBuf buf = in;
        if (carried != null) {
            carried.writeBytes(in);
            in.release();
            buf = carried;
            carried = null;
        }
        try {
            process(ctx, buf);
        } finally {
            buf.release();
        }
    }

    private void process(ChannelHandlerContext ctx, ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        if (firstBytes && limits.h2c()) {
            // HTTP/2 with prior knowledge (RFC 9113 §3.3): Vert.x's own handler behind us takes it.
            int n = Math.min(end - i, H2_PREFACE.length);
            boolean prefix = true;
            for (int k = 0; k < n && prefix; k++) {
                prefix = buf.getByte(i + k) == H2_PREFACE[k];
            }
            if (prefix && n < H2_PREFACE.length) {
                carried = ctx.alloc().heapBuffer(H2_PREFACE.length); // wait for the rest of the preface
                carried.writeBytes(buf, i, end - i);
                return;
            }
            firstBytes = false;
            if (prefix) {
                state = State.PASS;
                ctx.pipeline().addAfter(ctx.name(), H2Dates.NAME, new H2Dates());
                forward(ctx, buf, i, end);
                return;
            }
        }
        firstBytes = false;
        int fwd = i;          // [fwd, i) is checked and not yet forwarded
        int headAt = -1;      // where the current request's head starts, while still unforwarded
        int rejectAt = -1;
        RequestHead refused = null;
        boolean needMore = false;
        loop:
        while (i < end && refused == null) {
            switch (state) {
                case HEAD -> {
                    // Empty lines before a request-line are ignored (RFC 9112 §2.2); not forwarded.
                    if (buf.getByte(i) == '\r' || buf.getByte(i) == '\n') {
                        forward(ctx, buf, fwd, i);
                        while (i < end && (buf.getByte(i) == '\r' || buf.getByte(i) == '\n')) {
                            i++;
                        }
                        fwd = i;
                        continue;
                    }
                    int headEnd = findHeadEnd(buf, i, end);
                    if (headEnd == NEED_MORE) {
                        needMore = true;
                        break loop;
                    }
                    if (headEnd < 0) {
                        refused = headEnd == TOO_LONG_LINE
                                ? RequestHead.error(414, "the request-line is longer than " + limits.maxRequestLine()
                                        + " bytes (RFC 9112 §3)")
                                : RequestHead.error(431, "the header fields are larger than " + limits.maxHeaderSize()
                                        + " bytes (RFC 6585 §5)");
                        rejectAt = i;
                        break loop;
                    }
                    int len = headEnd - i;
                    byte[] b = scratch(len);
                    buf.getBytes(i, b, 0, len);
                    RequestHead head = RequestHead.parse(b, 0, len);
                    if (!head.ok()) {
                        refused = head;
                        rejectAt = i;
                        break loop;
                    }
                    if (head.minorVersionAt() >= 0) {
                        buf.setByte(i + head.minorVersionAt(), '1'); // HTTP/1.x, x > 1: as 1.1 (RFC 9112 §2.3)
                    }
                    heads++;
                    fieldBytes = headFieldBytes;
                    if (head.connect()) {
                        connectHead = heads;
                    }
                    headAt = i;
                    i = headEnd;
                    switch (head.framing()) {
                        case LENGTH -> {
                            remaining = head.contentLength();
                            state = State.BODY;
                        }
                        case CHUNKED -> state = State.CHUNK_SIZE;
                        default -> headAt = -1;
                    }
                }
                case BODY, CHUNK_DATA -> {
                    long take = Math.min(remaining, end - i);
                    i += (int) take;
                    remaining -= take;
                    if (remaining == 0) {
                        if (state == State.BODY) {
                            state = State.HEAD;
                            headAt = -1;
                        } else {
                            state = State.CHUNK_END;
                        }
                    }
                }
                case CHUNK_END -> {
                    if (end - i < 2 && buf.getByte(i) == '\r') {
                        needMore = true;
                        break loop;
                    }
                    if (buf.getByte(i) != '\r' || buf.getByte(i + 1) != '\n') {
                        refused = RequestHead.error(400, "a chunk's data is not followed by CR LF (RFC 9112 §7.1)");
                        break loop;
                    }
                    i += 2;
                    state = State.CHUNK_SIZE;
                }
                case CHUNK_SIZE -> {
                    int lf = buf.indexOf(i, end, (byte) '\n');
                    if (lf < 0) {
                        if (end - i > limits.maxRequestLine()) {
                            refused = RequestHead.error(400, "a chunk-size line is longer than "
                                    + limits.maxRequestLine() + " bytes (RFC 9112 §7.1)");
                            break loop;
                        }
                        needMore = true;
                        break loop;
                    }
                    int len = lf - i;
                    byte[] b = scratch(len + 1);
                    buf.getBytes(i, b, 0, len + 1);
                    long size = len > 0 && b[len - 1] == '\r' && len - 1 <= limits.maxRequestLine()
                            && noBareCr(b, len - 1) ? RequestHead.chunkSize(b, 0, len - 1) : -1;
                    if (size < 0) {
                        refused = RequestHead.error(400, size == -2
                                ? "a chunk size above 2^31-1 (RFC 9112 §7.1)"
                                : "a malformed chunk-size line (RFC 9112 §7.1, §7.1.1)");
                        break loop;
                    }
                    i = lf + 1;
                    if (size == 0) {
                        state = State.TRAILERS;
                    } else {
                        remaining = size;
                        state = State.CHUNK_DATA;
                    }
                }
                case TRAILERS -> {
                    int lf = buf.indexOf(i, end, (byte) '\n');
                    if (lf < 0) {
                        if (fieldBytes + end - i > limits.maxHeaderSize() + 1) {
                            refused = RequestHead.error(431, "the trailer fields are larger than "
                                    + limits.maxHeaderSize() + " bytes (RFC 6585 §5)");
                            break loop;
                        }
                        needMore = true;
                        break loop;
                    }
                    int len = lf - i;
                    byte[] b = scratch(len + 1);
                    buf.getBytes(i, b, 0, len + 1);
                    if (len == 0 || b[len - 1] != '\r' || !noBareCr(b, len - 1)) {
                        refused = RequestHead.error(400, "a line ends in a bare LF or holds a bare CR (RFC 9112 §2.2)");
                        break loop;
                    }
                    if (len == 1) {
                        // The empty line: the request is complete (RFC 9112 §7.1.2).
                        i = lf + 1;
                        fieldBytes = 0;
                        state = State.HEAD;
                        headAt = -1;
                        continue;
                    }
                    String bad = RequestHead.fieldLine(b, 0, len - 1);
                    fieldBytes += len - 1;
                    if (bad != null || fieldBytes > limits.maxHeaderSize()) {
                        refused = RequestHead.error(bad != null ? 400 : 431, bad != null ? bad
                                : "the trailer fields are larger than " + limits.maxHeaderSize() + " bytes (RFC 6585 §5)");
                        break loop;
                    }
                    i = lf + 1;
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        if (refused == null) {
            forward(ctx, buf, fwd, i);
            if (needMore) {
                carried = ctx.alloc().heapBuffer(Math.max(256, end - i));
                carried.writeBytes(buf, i, end - i);
            }
            return;
        }
        // The refused request: one the application never saw, or one whose body broke after its head
        // was given to the application (then it is answered only if the application has not begun to).
        boolean inBody = rejectAt < 0;
        if (inBody && headAt >= fwd) {
            forward(ctx, buf, fwd, headAt);
            heads--;
            inBody = false;
        } else {
            forward(ctx, buf, fwd, inBody ? fwd : rejectAt);
        }
        reject(ctx, new Rejection(refused.status(), refused.reason(), refused.headMethod(),
                inBody ? heads : heads + 1, inBody));
    }

    private static final int NEED_MORE = -1;
    private static final int TOO_LONG_LINE = -2;
    private static final int TOO_LARGE_HEADERS = -3;

    /**
     * The index just past the empty line that ends the head starting at {@code from}, or one of
     * NEED_MORE, TOO_LONG_LINE (414 as soon as the request-line passes the limit, even without its LF)
     * and TOO_LARGE_HEADERS (431, likewise).
     */
    private int findHeadEnd(ByteBuf buf, int from, int end) {
        int lf = buf.indexOf(from, end, (byte) '\n');
        int lineLength = (lf < 0 ? end : lf) - from; // with its CR, if any
        int max = limits.maxRequestLine();
        if (lineLength > max + 1 || lineLength == max + 1 && buf.getByte(from + max) != '\r') {
            return TOO_LONG_LINE;
        }
        if (lf < 0) {
            return NEED_MORE;
        }
        int fields = 0;
        int line = lf + 1;
        while (true) {
            lf = buf.indexOf(line, end, (byte) '\n');
            int length = (lf < 0 ? end : lf) - line;
            boolean empty = lf >= 0 && (length == 0 || length == 1 && buf.getByte(line) == '\r');
            if (!empty) {
                // Netty counts each field line without its CR LF against max-header-size.
                int last = lf < 0 ? end - 1 : lf - 1;
                fields += length - (length > 0 && buf.getByte(last) == '\r' ? 1 : 0);
                if (fields > limits.maxHeaderSize()) {
                    return TOO_LARGE_HEADERS;
                }
            }
            if (lf < 0) {
                return NEED_MORE;
            }
            if (empty) {
                headFieldBytes = fields;
                return lf + 1;
            }
            line = lf + 1;
        }
    }

    private static boolean noBareCr(byte[] b, int length) {
        for (int k = 0; k < length; k++) {
            if (b[k] == '\r') {
                return false;
            }
        }
        return true;
    }

    private byte[] scratch(int length) {
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        return scratch;
    }

    /** Gives {@code buf[from, to)} to the decoder, with the exchange counter in place first. */
    private void forward(ChannelHandlerContext ctx, ByteBuf buf, int from, int to) {
        if (to <= from) {
            return;
        }
        if (!exchangesInstalled && state != State.PASS) {
            installExchanges(ctx.pipeline());
            if (!exchangesInstalled) {
                // HTTP/2 cleartext on: Vert.x's detector behind us (Http1xOrH2CHandler) holds back the
                // bytes that match the HTTP/2 preface and configures HTTP/1.1 on the first one that
                // differs, then passes everything on at once: given the whole request, the application
                // would answer it before the counter is in place ('P' of POST, PUT, PRI... matches).
                // So the detector first gets the bytes up to and including that one, then we install.
                int split = from;
                while (split < to && prefaceMatched < H2_PREFACE.length && buf.getByte(split) == H2_PREFACE[prefaceMatched]) {
                    split++;
                    prefaceMatched++;
                }
                split = Math.min(split + 1, to);
                ctx.fireChannelRead(buf.retainedSlice(from, split - from));
                from = split;
                installExchanges(ctx.pipeline());
                if (to <= from) {
                    return;
                }
            }
        }
        ctx.fireChannelRead(buf.retainedSlice(from, to - from));
    }

    private void installExchanges(ChannelPipeline pipeline) {
        if (pipeline.get("httpEncoder") != null) {
            pipeline.addAfter("httpEncoder", EXCHANGES, new Exchanges());
            exchangesInstalled = true;
        }
    }

    private void reject(ChannelHandlerContext ctx, Rejection r) {
        state = State.REJECTED;
        if (carried != null) {
            carried.release();
            carried = null;
        }
        rejection = r;
        answerWhenDue();
    }

    /** Answers the refused request once every request before it has its answer. */
    private void answerWhenDue() {
        Rejection r = rejection;
        if (r == null || answered || !ctx.channel().isActive()) {
            return;
        }
        if (r.bodyBroken() && started >= r.request()) {
            // The application already answered the request whose body broke: close after that answer.
            if (completed >= r.request()) {
                answered = true;
                lingeringClose();
            }
            return;
        }
        if (completed < r.request() - 1) {
            return;
        }
        answered = true;
        ctx.writeAndFlush(answer(r)).addListener((ChannelFutureListener) f -> lingeringClose());
    }

    private static ByteBuf answer(Rejection r) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(r.status());
        byte[] body = (r.reason() + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status.code() + " " + status.reasonPhrase() + "\r\n"
                + "Date: " + HttpDate.now() + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        ByteBuf out = Unpooled.buffer(head.length() + body.length);
        out.writeCharSequence(head, StandardCharsets.US_ASCII);
        if (!r.headMethod()) {
            out.writeBytes(body);
        }
        return out;
    }

    /** FIN now; read and discard until the client closes or stays quiet (RFC 9112 §9.6, nginx lingering_close). */
    private void lingeringClose() {
        if (!(ctx.channel() instanceof DuplexChannel duplex) || !ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        state = State.REJECTED;
        lingerStart = lastRead = System.nanoTime();
        ctx.channel().config().setAutoRead(true);
        duplex.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
            } else {
                scheduleLingerCheck(LINGER_TIMEOUT_MILLIS);
            }
        });
    }

    private void scheduleLingerCheck(long millis) {
        lingerTimer = ctx.executor().schedule(() -> {
            long now = System.nanoTime();
            long quiet = TimeUnit.NANOSECONDS.toMillis(now - lastRead);
            long total = TimeUnit.NANOSECONDS.toMillis(now - lingerStart);
            if (quiet >= LINGER_TIMEOUT_MILLIS || total >= LINGER_TIME_MILLIS) {
                ctx.close();
            } else {
                scheduleLingerCheck(Math.min(LINGER_TIMEOUT_MILLIS - quiet, LINGER_TIME_MILLIS - total));
            }
        }, millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cleanUp();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cleanUp();
    }

    private void cleanUp() {
        if (carried != null) {
            carried.release();
            carried = null;
        }
        if (lingerTimer != null) {
            lingerTimer.cancel(false);
        }
        if (quietTimer != null) {
            quietTimer.cancel(false);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (state == State.REJECTED && evt instanceof io.netty.channel.socket.ChannelOutputShutdownEvent) {
            return; // our own half-close: nothing for Vert.x to do
        }
        if (evt instanceof ShutdownEvent shutdown && shutdown.timeout() > 0 && state != State.PASS
                && state != State.REJECTED) {
            drain(shutdown);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * A graceful shutdown of an HTTP/1.1 connection (a worker's drain). Vert.x's own would close an
     * idle keep-alive connection at once and refuse a request already on its way, so a client that
     * sends on a connection it believes open gets a reset: a failed request for every busy keep-alive
     * client at every reload. Instead, as the line protocol does, the connection stays open while it
     * is in use: every answer from now on says {@code Connection: close} (RFC 9112 §9.6) and the
     * connection closes after the last answer due; a connection quiet for {@link #DRAIN_QUIET_MILLIS}
     * (no request in progress, nothing received) closes; at the shutdown's timeout the worker closes
     * what is left. A client can still send on an idle connection just as it closes — HTTP/1.1 has no
     * way to say "no more" to an idle connection (HTTP/2 has GOAWAY) — and RFC 9112 §9.3.1 has it
     * retry then; the quiet second makes that window small.
     */
    private void drain(ShutdownEvent shutdown) {
        if (shuttingDown) {
            return;
        }
        shuttingDown = true;
        heardSinceCheck = false;
        scheduleQuietCheck();
    }

    private void scheduleQuietCheck() {
        quietTimer = ctx.executor().schedule(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (!heardSinceCheck && idle()) {
                ctx.close();
            } else {
                heardSinceCheck = false;
                scheduleQuietCheck();
            }
        }, DRAIN_QUIET_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** No request half-received, none forwarded and unanswered. */
    private boolean idle() {
        return state == State.HEAD && carried == null && completed >= heads;
    }

    /**
     * Behind the HTTP encoder: sees every response Vert.x writes. Counts final responses (1xx other
     * than 101 are interim), adds {@code Date} (RFC 9110 §6.6.1: an origin server with a clock MUST),
     * and switches the guard to pass-through when the connection leaves HTTP/1.1.
     */
    final class Exchanges extends ChannelDuplexHandler {
        private boolean interim;
        private boolean h2Upgrade;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (answered) {
                // The guard's answer (or the close after a broken body) was the connection's last.
                ReferenceCountUtil.release(msg);
                promise.trySuccess();
                return;
            }
            if (msg instanceof HttpResponse res) {
                int code = res.status().code();
                interim = code < 200 && code != 101;
                if (!interim) {
                    started++;
                    if (!res.headers().contains(HttpHeaderNames.DATE)) {
                        res.headers().set(HttpHeaderNames.DATE, HttpDate.now());
                    }
                    if (shuttingDown && code != 101) {
                        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                    }
                    if (res.protocolVersion() == HttpVersion.HTTP_1_0) {
                        // A server answers in the highest version it conforms to with the request's
                        // major (RFC 9112 §2.3); a 1.0 exchange Vert.x keeps open says keep-alive,
                        // any other closes after this answer, which 1.1 states with close.
                        res.setProtocolVersion(HttpVersion.HTTP_1_1);
                        if (!res.headers().contains(HttpHeaderNames.CONNECTION)) {
                            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                        }
                    }
                    if (code == 101 || code / 100 == 2 && started == connectHead) {
                        state = State.PASS; // WebSocket, h2c upgrade, CONNECT tunnel: no longer HTTP/1.1 requests
                        h2Upgrade = code == 101 && res.headers().containsValue(HttpHeaderNames.UPGRADE, "h2c", true);
                    }
                }
            }
            boolean last = msg instanceof LastHttpContent && !interim;
            if (last && shuttingDown && state == State.HEAD && carried == null && completed + 1 >= heads) {
                // The last answer due on a draining connection: close once it is written, lingering
                // (the client may have pipelined more; an abrupt close could reset the answer).
                ChannelPromise written = promise.unvoid();
                ctx.write(msg, written);
                written.addListener(f -> lingeringClose());
            } else {
                ctx.write(msg, promise);
            }
            if (last) {
                completed++;
                answerWhenDue();
            }
            if (h2Upgrade) {
                // The 101 has passed the guard; what the server writes from now on is HTTP/2 frames.
                h2Upgrade = false;
                RequestGuard.this.ctx.pipeline().addAfter(NAME, H2Dates.NAME, new H2Dates());
            }
        }
    }
}
