package dev.forkline.worker;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.util.concurrent.MultithreadEventExecutorGroup;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.time.Duration;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.net.impl.ShutdownEvent;
import java.util.concurrent.ThreadFactory;

/**
 * Vert.x's epoll transport for a worker, with these changes, all through the public transport SPI
 * (every other method is delegated, so epoll's own settings, SO_REUSEPORT among them, apply):
 *
 * <p><b>Accept on the event loop.</b> Vert.x gives every instance a separate one-thread acceptor
 * group; each new connection is accepted there and handed to an event loop on another thread. A
 * worker has exactly one event loop, so we hand that loop back as the acceptor too: one thread
 * accepts and serves, as an nginx worker does, with no cross-thread handoff per connection (and 2
 * workers run 2 I/O threads on 2 cores, not 4).
 *
 * <p><b>A handle on every listening channel.</b> Vert.x 5.0's {@code NetServer.shutdown()} first removes the server's connection handler and
 * only then closes the listening socket; a connection the acceptor takes in between finds no handler
 * and is closed at once ({@code ServerChannelLoadBalancer.initChannel}), so its client gets EOF before
 * the greeting. A drain therefore closes the listening channels itself first ({@link #closeListeners()}):
 * everything accepted before that still reaches the worker's handler, and the connections still in the
 * kernel's accept queue move to another worker when net.ipv4.tcp_migrate_req=1. Only then does it run
 * Vert.x's shutdown for the open connections.
 *
 * <p><b>Bytes counted at the socket.</b> Every connection an HTTP server accepts gets
 * {@link SocketBytes} as the first handler of its pipeline, so the worker's bytes in and out include
 * HTTP (request line, headers, bodies) as the kernel sees them; when an application runs, every
 * server's connections get it ({@link #countEveryServer()}). The built-in line protocol's do not: it
 * counts exactly what it reads and writes itself, and its connections (the many-connections case)
 * pay for no extra handler.
 */
final class WorkerTransport implements Transport {
    private final Transport epoll;
    private final List<ServerChannel> listeners = new CopyOnWriteArrayList<>();
    private final Binds binds = new Binds();
    /**
     * Every connection any listener of this worker accepted and that is still open, whoever serves it
     * (the built-in servers, every server and every instance of an application's): what a drain
     * shuts down. Removed as each one closes.
     */
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    /** The worker's one event-loop group, created first by Vert.x, returned again as the acceptor group. */
    private volatile EventLoopGroup ioGroup;
    private final io.vertx.core.spi.transport.Transport implementation;
    private final SocketBytes socketBytes;
    private volatile boolean countEveryServer;

    private WorkerTransport(Transport epoll, Counters counters) {
        this.epoll = epoll;
        this.implementation = new Tracking(epoll.implementation());
        this.socketBytes = new SocketBytes(counters);
    }

    /**
     * The tracking epoll transport, counting HTTP bytes into {@code counters}, or null when Netty's
     * epoll classes are not on the class path.
     */
    static WorkerTransport epoll(Counters counters) {
        Transport epoll = Transport.EPOLL;
        return epoll == null ? null : new WorkerTransport(epoll, counters);
    }

    /** An application runs: count the bytes of every server it opens at the socket, not only HTTP. */
    void countEveryServer() {
        countEveryServer = true;
    }

    /**
     * Completes once every server of {@code vertx} is listening or has failed to: every listening
     * socket created so far has settled ({@link Binds}), and every server in Vert.x's table has a
     * socket that settled. The table is what catches a {@code listen()} whose socket is not created
     * yet when the deployment completes — a TLS server (its SSL context resolves first) or a host name
     * (it resolves first) whose listen future the application ignored. A server that leaves the table
     * with no socket (its TLS setup or its address failed) is reported as a failed bind.
     */
    Future<Binds.Result> serversSettled(io.vertx.core.Vertx vertx) {
        Promise<Binds.Result> done = Promise.promise();
        java.util.Map<io.vertx.core.net.impl.ServerID, ?> table = ((io.vertx.core.internal.VertxInternal) vertx).sharedTcpServers();
        Set<io.vertx.core.net.impl.ServerID> seen = new java.util.HashSet<>();
        Runnable check = () -> {
            Set<io.vertx.core.net.impl.ServerID> now;
            synchronized (table) {
                now = new java.util.HashSet<>(table.keySet());
            }
            seen.addAll(now);
            List<String> vanished = new ArrayList<>();
            for (io.vertx.core.net.impl.ServerID id : seen) {
                if (!binds.settled(id.port())) {
                    if (now.contains(id)) {
                        return; // still waiting for its socket
                    }
                    vanished.add(id.host() + ":" + id.port() + ": the server failed before it had a socket"
                            + " (its TLS setup or its address)");
                }
            }
            binds.settled().onSuccess(result -> {
                if (vanished.isEmpty()) {
                    done.tryComplete(result);
                } else {
                    List<String> failed = new ArrayList<>(result.failed());
                    failed.addAll(vanished);
                    done.tryComplete(new Binds.Result(result.listening(), failed));
                }
            });
        };
        check.run();
        if (!done.future().isComplete()) {
            long timer = vertx.setPeriodic(10, t -> check.run()); // boot only; until the supervisor's boot timeout
            done.future().onComplete(ar -> vertx.cancelTimer(timer));
        }
        return done.future();
    }

    /**
     * A warm standby: from now on every listening socket's bind is held back ({@link Binds}) until
     * {@link #releaseBinds()}; {@code onHeld} runs after each bind is held, on the event loop.
     */
    void holdBinds(Runnable onHeld) {
        binds.hold(onHeld);
    }

    /** The standby is promoted: every held bind goes to its socket now, and later ones at once. */
    void releaseBinds() {
        binds.release();
    }

    /**
     * For a standby: the addresses it holds once its application has got as far as it can without
     * listening — every socket created so far waits only for its held bind, every server in Vert.x's
     * table has such a socket (a server whose host name or TLS context is still resolving has none
     * yet), and either a bind is held or the deployment completed (an application that listens on
     * nothing, or ignores its listen futures). Empty while it has not.
     */
    java.util.Optional<List<String>> standbyBooted(io.vertx.core.Vertx vertx, boolean deployed) {
        java.util.Map<io.vertx.core.net.impl.ServerID, ?> table = ((io.vertx.core.internal.VertxInternal) vertx).sharedTcpServers();
        List<Integer> ports = new ArrayList<>();
        synchronized (table) {
            table.keySet().forEach(id -> ports.add(id.port()));
        }
        List<String> held = binds.heldAddresses();
        if ((held.isEmpty() && !deployed) || !binds.onlyHeldPending(ports)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(held);
    }

    /**
     * Graceful shutdown of every open connection, Vert.x's way for each of them: its
     * {@code ShutdownEvent} with the timeout (what {@code NetServer.shutdown} sends the connections of
     * one server): an HTTP/1.1 connection finishes its request in progress and closes (the HTTP guard
     * keeps an idle keep-alive connection open while it is in use: {@code RequestGuard}), HTTP/2
     * sends GOAWAY, a NetSocket calls its shutdown handler. Per connection, not per server: Vert.x's
     * server table holds only the first server bound to each address, not the other instances of a
     * verticle deployed several times, nor servers on port 0. Completes when none is left; at the
     * timeout the rest are closed.
     */
    Future<Void> shutdownConnections(io.vertx.core.Vertx vertx, Duration timeout) {
        Promise<Void> done = Promise.promise();
        List<Channel> open = new ArrayList<>(connections);
        if (open.isEmpty()) {
            done.complete();
            return done.future();
        }
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(open.size());
        for (Channel ch : open) {
            ch.closeFuture().addListener(f -> {
                if (left.decrementAndGet() == 0) {
                    done.tryComplete();
                }
            });
            ch.eventLoop().execute(() -> ch.pipeline().fireUserEventTriggered(
                    new ShutdownEvent(timeout.toMillis(), TimeUnit.MILLISECONDS)));
        }
        long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
            if (!done.future().isComplete()) {
                open.forEach(Channel::close);
            }
        });
        return done.future().onComplete(ar -> vertx.cancelTimer(timer));
    }

    /** Closes every listening channel; completes when all are closed. Accepted connections stay open. */
    Future<Void> closeListeners() {
        List<Future<Void>> closed = new ArrayList<>();
        for (ServerChannel ch : listeners) {
            Promise<Void> p = Promise.promise();
            ch.close().addListener(f -> p.complete());
            closed.add(p.future());
        }
        return Future.all(closed).mapEmpty();
    }

    @Override
    public String name() {
        return epoll.name();
    }

    @Override
    public boolean available() {
        return epoll.available();
    }

    @Override
    public Throwable unavailabilityCause() {
        return epoll.unavailabilityCause();
    }

    @Override
    public io.vertx.core.spi.transport.Transport implementation() {
        return implementation;
    }

    /** In a listening channel's pipeline: registers each accepted connection before it is served. */
    private final class Accepted extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                connections.add(child);
                child.closeFuture().addListener(f -> connections.remove(child));
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Puts {@link SocketBytes} first in every child pipeline, so everything else sits above it: the
     * HTTP guard (added on accept, before this initializer runs), then Vert.x's own initializer (which
     * Vert.x sets before it calls {@code configure}, NetServerImpl.listen) and what it adds (TLS, HTTP
     * codecs). What the guard answers or drops by itself is counted too.
     */
    private void countBytesAtTheSocket(ServerBootstrap bootstrap) {
        ChannelHandler vertxInitializer = bootstrap.config().childHandler();
        bootstrap.childHandler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addFirst(socketBytes);
                ch.pipeline().addLast(vertxInitializer);
            }
        });
    }

    /** Delegates every method, so the epoll transport's own settings (SO_REUSEPORT among them) apply. */
    private final class Tracking implements io.vertx.core.spi.transport.Transport {
        private final io.vertx.core.spi.transport.Transport d;

        Tracking(io.vertx.core.spi.transport.Transport delegate) {
            this.d = delegate;
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
            ChannelFactory<? extends ServerChannel> factory = d.serverChannelFactory(domainSocket);
            return () -> {
                ServerChannel ch = factory.newChannel();
                listeners.add(ch);
                binds.watch(ch);
                ch.pipeline().addLast(new Accepted());
                ch.closeFuture().addListener(f -> listeners.remove(ch));
                return ch;
            };
        }

        @Override
        public boolean supportsDomainSockets() {
            return d.supportsDomainSockets();
        }

        @Override
        public boolean supportFileRegion() {
            return d.supportFileRegion();
        }

        @Override
        public boolean isAvailable() {
            return d.isAvailable();
        }

        @Override
        public Throwable unavailabilityCause() {
            return d.unavailabilityCause();
        }

        @Override
        public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
            return d.convert(address);
        }

        @Override
        public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
            return d.convert(address);
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return d.ioHandlerFactory();
        }

        @Override
        public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
            if (type == ACCEPTOR_EVENT_LOOP_GROUP && ioGroup instanceof MultithreadEventExecutorGroup g
                    && g.executorCount() == 1) {
                return ioGroup;
            }
            EventLoopGroup group = d.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
            if (type == IO_EVENT_LOOP_GROUP) {
                ioGroup = group;
            }
            return group;
        }

        @Override
        public DatagramChannel datagramChannel() {
            return d.datagramChannel();
        }

        @Override
        public DatagramChannel datagramChannel(InternetProtocolFamily family) {
            return d.datagramChannel(family);
        }

        @Override
        public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
            return d.channelFactory(domainSocket);
        }

        @Override
        public void configure(DatagramChannel channel, DatagramSocketOptions options) {
            d.configure(channel, options);
        }

        @Override
        public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
            d.configure(options, connectTimeout, domainSocket, bootstrap);
        }

        /**
         * As epoll configures it, with SO_REUSEPORT on every TCP listener whatever the options say, and
         * minus the per-connection options that only restate what a new Linux socket already has
         * (TCP_QUICKACK off, TCP_CORK off, SO_KEEPALIVE off): each is one setsockopt(2) per accepted
         * connection for nothing.
         *
         * <p>Reuse-port for every server is what lets an unmodified application run in N processes: its
         * {@code createHttpServer().listen(8081)}, default options and all, joins the same reuse-port
         * group in every worker and the kernel balances its connections like the built-in ones. Without
         * it the second worker's bind fails with "Address already in use".
         */
        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            d.configure(options, domainSocket, bootstrap);
            if (!domainSocket) {
                bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
            }
            if (options instanceof HttpServerOptions || countEveryServer) {
                countBytesAtTheSocket(bootstrap);
            }
            if (!options.isTcpQuickAck()) {
                bootstrap.childOption(EpollChannelOption.TCP_QUICKACK, null);
            }
            if (!options.isTcpCork()) {
                bootstrap.childOption(EpollChannelOption.TCP_CORK, null);
            }
            if (!options.isTcpKeepAlive()) {
                bootstrap.childOption(ChannelOption.SO_KEEPALIVE, null);
            }
            // RFC 9112 framing checks first in every HTTP server's pipeline, the facet's and any other.
            dev.forkline.http.HttpGuard.install(options, bootstrap);
        }
    }
}
