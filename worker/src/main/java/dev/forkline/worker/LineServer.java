package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.NetServerOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The line protocol's listener: a Netty server channel on the event loop of the verticle's context
 * (one per worker), bound with SO_REUSEPORT through the worker's Vert.x transport, so the same epoll
 * options (and WorkerTransport's listener tracking) apply as to Vert.x's own servers. Every accepted
 * channel gets exactly one handler, its {@link LineConnection}.
 *
 * <p>Event-loop confined: the registry of connections ({@link IdleSweeper}), the counters, drain.
 */
final class LineServer {
    /**
     * During a drain, a connection is closed once it has been quiet this long: no partial line and
     * nothing received. A client in the middle of a short exchange (greeting, request, QUIT) finishes
     * it instead of racing the close; whatever is still open at FORKLINE_DRAIN_TIMEOUT is closed.
     */
    static final long DRAIN_QUIET_MILLIS = 1000;

    final Answers answers;
    final Counters counters;
    final IdleSweeper sweeper;
    final int maxLine;
    final long lineTimeoutMillis;
    private final int maxConnections;
    private final Duration drainTimeout;
    private ContextInternal context;
    private Channel listener;
    private Promise<Void> drained;

    /** Not listening yet: {@link #listen} binds it; a test may attach connections to channels of its own. */
    LineServer(WorkerConfig config, Answers answers, Counters counters) {
        this.answers = answers;
        this.counters = counters;
        this.maxLine = config.maxLine();
        this.lineTimeoutMillis = config.lineTimeout().toMillis();
        this.maxConnections = config.maxConnections();
        this.drainTimeout = config.drainTimeout();
        this.sweeper = new IdleSweeper(config.idleTimeout());
    }

    /** Binds the listener on the event loop of {@code context}; completes with the bound port. */
    Future<Integer> listen(ContextInternal context, WorkerConfig config) {
        this.context = context;
        sweeper.start(context);
        VertxInternal vertx = context.owner();
        EventLoop loop = context.nettyEventLoop();
        NetServerOptions options = new NetServerOptions()
                .setReusePort(true)
                .setReuseAddress(true)
                .setTcpNoDelay(true)
                .setAcceptBacklog(config.backlog());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loop, loop) // one thread accepts and serves (see WorkerTransport)
                .channelFactory(vertx.transport().serverChannelFactory(false))
                .childHandler(new Accept());
        vertx.transport().configure(options, false, bootstrap);
        Promise<Integer> bound = context.promise();
        bootstrap.bind(new InetSocketAddress(config.host(), config.port())).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                listener = f.channel();
                // The worker's drain closes every listener first (WorkerTransport): that starts ours.
                listener.closeFuture().addListener(c -> context.runOnContext(v -> drain(drainTimeout)));
                bound.complete(((InetSocketAddress) listener.localAddress()).getPort());
            } else {
                bound.fail(f.cause());
            }
        });
        return bound.future();
    }

    /** Shared by every accepted channel: admits it (or answers ERR busy) and installs its one handler. */
    private final class Accept extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
            counters.accepted++;
            if (counters.connections >= maxConnections) {
                ByteBuf busy = answers.busy();
                counters.bytesOut += busy.readableBytes();
                ch.writeAndFlush(busy).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ch.pipeline().addLast(new LineConnection(LineServer.this));
        }
    }

    void opened(LineConnection c) {
        counters.connections++;
        c.lastActiveTick = sweeper.now();
        sweeper.add(c);
    }

    void closed(LineConnection c) {
        counters.connections--;
        sweeper.remove(c);
        if (drained != null && sweeper.isEmpty()) {
            drained.tryComplete();
        }
    }

    /**
     * Graceful drain, once the listener is closed (by WorkerTransport): every second, closes the
     * connections that have been quiet since the last check; at {@code timeout} closes the rest.
     * Completes when none is left. On the event loop.
     */
    Future<Void> drain(Duration timeout) {
        if (drained != null) {
            return drained.future();
        }
        drained = context.promise();
        if (listener != null) {
            listener.close();
        }
        sweeper.forEach(c -> c.heardSinceCheck = false);
        if (sweeper.isEmpty()) {
            drained.tryComplete();
            return drained.future();
        }
        long quietCheck = context.setPeriodic(DRAIN_QUIET_MILLIS, t -> sweeper.forEach(c -> {
            if (!c.heardSinceCheck && !c.partialLine()) {
                c.close();
            } else {
                c.heardSinceCheck = false;
            }
        }));
        // A little before the timeout: the worker's undeploy, which waits for this, ends at the timeout.
        long deadline = context.setTimer(Math.max(1, timeout.toMillis() - Math.min(250, timeout.toMillis() / 10)),
                t -> sweeper.forEach(LineConnection::close));
        drained.future().onComplete(x -> {
            context.owner().cancelTimer(quietCheck);
            context.owner().cancelTimer(deadline);
        });
        return drained.future();
    }

    /** Undeploy: the drain that is under way, or, without one, every connection closed now. */
    Future<Void> stop() {
        return drained != null ? drained.future() : closeNow();
    }

    /** Closes the listener and every connection now. */
    Future<Void> closeNow() {
        Promise<Void> done = context.promise();
        drained = done;
        context.runOnContext(v -> {
            if (listener != null) {
                listener.close();
            }
            sweeper.forEach(LineConnection::close);
            if (sweeper.isEmpty()) {
                done.tryComplete();
            }
        });
        return done.future();
    }
}
