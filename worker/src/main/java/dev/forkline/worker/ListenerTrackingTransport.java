package dev.forkline.worker;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadFactory;

/**
 * Vert.x's epoll transport, unchanged, plus a handle on every listening channel it creates.
 *
 * <p>Why: Vert.x 5.0's {@code NetServer.shutdown()} first removes the server's connection handler and
 * only then closes the listening socket; a connection the acceptor takes in between finds no handler
 * and is closed at once ({@code ServerChannelLoadBalancer.initChannel}), so its client gets EOF before
 * the greeting. A drain therefore closes the listening channels itself first ({@link #closeListeners()}):
 * everything accepted before that still reaches the worker's handler, and the connections still in the
 * kernel's accept queue move to another worker when net.ipv4.tcp_migrate_req=1. Only then does it run
 * Vert.x's shutdown for the open connections.
 */
final class ListenerTrackingTransport implements Transport {
    private final Transport epoll;
    private final List<ServerChannel> listeners = new CopyOnWriteArrayList<>();
    private final io.vertx.core.spi.transport.Transport implementation;

    private ListenerTrackingTransport(Transport epoll) {
        this.epoll = epoll;
        this.implementation = new Tracking(epoll.implementation());
    }

    /** The tracking epoll transport, or null when Netty's epoll classes are not on the class path. */
    static ListenerTrackingTransport epoll() {
        Transport epoll = Transport.EPOLL;
        return epoll == null ? null : new ListenerTrackingTransport(epoll);
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
            return d.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
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

        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            d.configure(options, domainSocket, bootstrap);
        }
    }
}
