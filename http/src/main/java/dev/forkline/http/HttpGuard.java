package dev.forkline.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServerOptions;

/**
 * Puts a {@link RequestGuard} first in the pipeline of every connection accepted by any Vert.x
 * {@code HttpServer}, whoever created it: call {@link #install} from the transport's
 * {@code configure(NetServerOptions, boolean, ServerBootstrap)}, which Vert.x calls for every server
 * it binds, with the server's own options (an {@link HttpServerOptions} for an HTTP server).
 *
 * <p>How: a handler in the <em>listening</em> channel's pipeline sees each accepted child channel
 * before Netty's acceptor hands it to Vert.x to initialise, and adds the guard to the child's still
 * empty pipeline; everything Vert.x adds later (its HTTP decoder, encoder, handler) comes after it.
 * The limits are the server's own ({@code maxInitialLineLength}, {@code maxHeaderSize}), so an
 * application's server keeps its settings and gets the same framing checks by default.
 *
 * <p>Not guarded: TLS servers (the guard would see ciphertext; Vert.x adds its SSL handler behind
 * ours) and servers behind the PROXY protocol. Forkline itself serves neither.
 */
public final class HttpGuard {
    /** What the guard enforces, from the server's options. */
    record Limits(int maxRequestLine, int maxHeaderSize, boolean h2c) {
    }

    private HttpGuard() {
    }

    /** Installs the guard for an HTTP server's connections; a no-op for other servers. */
    public static void install(NetServerOptions options, ServerBootstrap bootstrap) {
        if (!(options instanceof HttpServerOptions http) || http.isSsl() || http.isUseProxyProtocol()) {
            return;
        }
        Limits limits = new Limits(http.getMaxInitialLineLength(), http.getMaxHeaderSize(),
                http.isHttp2ClearTextEnabled());
        bootstrap.handler(new AcceptHook(limits, bootstrap.config().handler()));
    }

    /** In the listening channel's pipeline: guards each accepted connection. */
    @ChannelHandler.Sharable
    private static final class AcceptHook extends ChannelInboundHandlerAdapter {
        private final Limits limits;
        private final ChannelHandler previous;

        AcceptHook(Limits limits, ChannelHandler previous) {
            this.limits = limits;
            this.previous = previous;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (previous != null) {
                ctx.pipeline().addAfter(ctx.name(), null, previous);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                child.pipeline().addFirst(RequestGuard.NAME, new RequestGuard(limits));
            }
            ctx.fireChannelRead(msg);
        }
    }
}
