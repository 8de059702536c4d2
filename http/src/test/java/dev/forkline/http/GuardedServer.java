package dev.forkline.http;

import dev.forkline.testkit.HttpConformance;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.Http1xOrH2CHandler;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.http.impl.VertxHttpResponseEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection of a guarded Vert.x HTTP server, in an {@link EmbeddedChannel}: the guard first,
 * then what Vert.x's {@code HttpServerConnectionInitializer} puts behind it — its HTTP/1.1 decoder
 * and encoder under the names Vert.x gives them, or, with HTTP/2 cleartext on, Vert.x's own preface
 * detector ({@link Http1xOrH2CHandler}) that adds them on the first byte that differs from the
 * preface — and an application that answers as the conformance table expects of every server.
 */
final class GuardedServer {
    static final HttpServerOptions OPTIONS = new HttpServerOptions();
    static final HttpGuard.Limits LIMITS = new HttpGuard.Limits(
            OPTIONS.getMaxInitialLineLength(), OPTIONS.getMaxHeaderSize(), false);

    final EmbeddedChannel channel;
    /** What reached the HTTP/2 side (h2c on, after the preface). */
    final ByteArrayOutputStream http2 = new ByteArrayOutputStream();
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    GuardedServer(boolean h2c) {
        this(new HttpGuard.Limits(LIMITS.maxRequestLine(), LIMITS.maxHeaderSize(), h2c));
    }

    GuardedServer(HttpGuard.Limits limits) {
        channel = new EmbeddedChannel();
        channel.pipeline().addLast(RequestGuard.NAME, new RequestGuard(limits));
        channel.pipeline().addLast("handler", new App());
        if (limits.h2c()) {
            channel.pipeline().addBefore("handler", null, new Http1xOrH2CHandler() {
                @Override
                protected void configure(ChannelHandlerContext ctx, boolean h2c) {
                    if (h2c) {
                        ctx.pipeline().addBefore("handler", "h2", new Http2Side());
                    } else {
                        http1(ctx.pipeline(), limits);
                    }
                }
            });
        } else {
            http1(channel.pipeline(), limits);
        }
    }

    private static void http1(io.netty.channel.ChannelPipeline pipeline, HttpGuard.Limits limits) {
        HttpServerOptions options = new HttpServerOptions(OPTIONS)
                .setMaxInitialLineLength(limits.maxRequestLine()).setMaxHeaderSize(limits.maxHeaderSize());
        pipeline.addBefore("handler", "httpDecoder", new VertxHttpRequestDecoder(options));
        pipeline.addBefore("handler", "httpEncoder", new VertxHttpResponseEncoder());
    }

    /** One read of the client's bytes (then its read-complete), and whatever is due then. */
    void read(byte[] bytes, int from, int to) {
        if (channel.isOpen()) {
            channel.writeInbound(Unpooled.copiedBuffer(bytes, from, to - from));
            channel.runPendingTasks();
        }
    }

    /** Every byte the server has written so far. */
    byte[] written() {
        written.writeBytes(outbound(channel));
        return written.toByteArray();
    }

    /** The bytes a channel has written since last asked, in order (each buffer released). */
    static byte[] outbound(EmbeddedChannel ch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ByteBuf b = (ByteBuf) o;
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            out.writeBytes(a);
            b.release();
        }
        return out.toByteArray();
    }

    /** The answers written so far, and what follows them that is not a whole answer. */
    record Answers(List<HttpConformance.Response> responses, String rest) {
    }

    Answers answers(boolean firstIsHead) {
        byte[] out = written();
        List<HttpConformance.Response> responses = new ArrayList<>();
        ByteBuf buf = Unpooled.wrappedBuffer(out);
        int mark = 0;
        try (InputStream in = new ByteBufInputStream(buf)) {
            while (buf.isReadable()) {
                responses.add(HttpConformance.read(in, responses.isEmpty() && firstIsHead));
                mark = buf.readerIndex();
            }
        } catch (IOException e) {
            // an incomplete answer: left in rest
        }
        return new Answers(responses, new String(out, mark, out.length - mark, StandardCharsets.ISO_8859_1));
    }

    /** Collects what the HTTP/2 side would receive. */
    final class Http2Side extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            http2.writeBytes(a);
            b.release();
        }
    }

    /**
     * Answers as every server under the conformance table does (the facet, the admin API, the test
     * application): GET and HEAD 200, OPTIONS * 204 with Allow, CONNECT and an unknown method 501,
     * another known method 405 with Allow. It answers once the whole request is read, as an
     * application that reads the body first does: then an answer never depends on how the bytes were
     * cut into reads.
     */
    static final class App extends ChannelInboundHandlerAdapter {
        private HttpRequest request;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest r) {
                    request = r;
                    if (r.decoderResult().isFailure()) {
                        // What Vert.x does when its decoder fails; the guard must never let it happen.
                        answer(ctx, r, HttpResponseStatus.BAD_REQUEST, null, false);
                        request = null;
                        return;
                    }
                }
                if (msg instanceof LastHttpContent && request != null) {
                    HttpRequest r = request;
                    request = null;
                    String name = r.method().name();
                    HttpMethod method = HttpMethod.valueOf(name);
                    if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
                        answer(ctx, r, HttpResponseStatus.OK, null, HttpUtil.isKeepAlive(r));
                    } else if (method == HttpMethod.OPTIONS && r.uri().equals("*")) {
                        answer(ctx, r, HttpResponseStatus.NO_CONTENT, "GET, HEAD", HttpUtil.isKeepAlive(r));
                    } else if (!Methods.implemented(method)) {
                        answer(ctx, r, HttpResponseStatus.NOT_IMPLEMENTED, null, HttpUtil.isKeepAlive(r));
                    } else {
                        answer(ctx, r, HttpResponseStatus.METHOD_NOT_ALLOWED, "GET, HEAD", HttpUtil.isKeepAlive(r));
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private static void answer(ChannelHandlerContext ctx, HttpRequest r, HttpResponseStatus status, String allow,
                                   boolean keepAlive) {
            boolean noBody = status.code() == 204 || r.method().name().equals("HEAD");
            byte[] body = status.reasonPhrase().getBytes(StandardCharsets.US_ASCII);
            HttpVersion version = r.protocolVersion().majorVersion() == 1 ? r.protocolVersion() : HttpVersion.HTTP_1_1;
            FullHttpResponse res = new DefaultFullHttpResponse(version, status,
                    noBody ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
            if (status.code() != 204) {
                res.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            }
            if (allow != null) {
                res.headers().set(HttpHeaderNames.ALLOW, allow);
            }
            if (!keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (version == HttpVersion.HTTP_1_0) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            if (keepAlive) {
                ctx.writeAndFlush(res);
            } else {
                ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
