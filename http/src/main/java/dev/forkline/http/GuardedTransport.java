package dev.forkline.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;
import java.net.SocketAddress;
import java.util.concurrent.ThreadFactory;

/**
 * A Vert.x transport that is another one plus {@link HttpGuard} on every HTTP server: for a process
 * that has no transport wrapper of its own (the supervisor, whose admin API it guards). Every
 * method is delegated through the public transport SPI.
 */
public final class GuardedTransport implements Transport {
    private final Transport delegate;
    private final io.vertx.core.spi.transport.Transport implementation;

    private GuardedTransport(Transport delegate) {
        this.delegate = delegate;
        this.implementation = new Guarding(delegate.implementation());
    }

    public static Transport of(Transport delegate) {
        return new GuardedTransport(delegate);
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public boolean available() {
        return delegate.available();
    }

    @Override
    public Throwable unavailabilityCause() {
        return delegate.unavailabilityCause();
    }

    @Override
    public io.vertx.core.spi.transport.Transport implementation() {
        return implementation;
    }

    private static final class Guarding implements io.vertx.core.spi.transport.Transport {
        private final io.vertx.core.spi.transport.Transport d;

        Guarding(io.vertx.core.spi.transport.Transport d) {
            this.d = d;
        }

        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            d.configure(options, domainSocket, bootstrap);
            HttpGuard.install(options, bootstrap);
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
            return d.serverChannelFactory(domainSocket);
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
    }
}
