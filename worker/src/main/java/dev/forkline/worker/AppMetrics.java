package dev.forkline.worker;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpResponse;

/**
 * Counts what an application's servers do, through Vert.x's own metrics SPI (the hook Micrometer and
 * Dropwizard use): connections accepted and open, HTTP requests answered. The app needs no code for
 * it; its figures reach the heartbeat, {@code /status} and {@code /metrics} like the built-in
 * server's.
 *
 * <p>Not bytes: the SPI reports an HTTP connection's bodies only (its codec hands Vert.x decoded
 * messages, not bytes) and reports bytes in steps of 4 KiB per connection; {@link WorkerTransport}
 * counts every byte of an application's connections at the socket instead ({@link SocketBytes}).
 *
 * <p>Vert.x calls these on the event loop that owns the connection; a worker has one, so the counters
 * stay plain fields. Installed only when an application runs: the built-in servers count for
 * themselves on their hot path and pay nothing for this.
 */
final class AppMetrics implements VertxMetrics {
    private final Counters counters;

    AppMetrics(Counters counters) {
        this.counters = counters;
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
        return new Tcp();
    }

    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
        return new Http();
    }

    private class Tcp implements TCPMetrics<Object> {
        @Override
        public Object connected(SocketAddress remoteAddress, String remoteName) {
            counters.accepted++;
            counters.connections++;
            return null;
        }

        @Override
        public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
            counters.connections--;
        }

    }

    private final class Http extends Tcp implements HttpServerMetrics<Object, Object, Object> {
        @Override
        public void responseEnd(Object requestMetric, HttpResponse response, long bytesWritten) {
            counters.httpRequests++;
        }
    }
}
