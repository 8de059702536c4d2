package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.LineClient;
import dev.forkline.protocol.WorkerStats;
import dev.forkline.testkit.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real worker listener (native epoll, one event loop, reuse-port) on a free loopback port. */
final class TestServer implements AutoCloseable {
    final Vertx vertx;
    final WorkerVerticle verticle;
    final WorkerConfig config;
    final int port;
    final int httpPort;
    private final Counters counters;

    private TestServer(Vertx vertx, WorkerVerticle verticle, WorkerConfig config, Counters counters) {
        this.vertx = vertx;
        this.verticle = verticle;
        this.config = config;
        this.counters = counters;
        this.port = config.port();
        this.httpPort = config.httpPort();
    }

    static TestServer start() throws Exception {
        return start(Map.of());
    }

    /** Starts with the defaults, overridden by {@code settings} (FORKLINE_* names). */
    static TestServer start(Map<String, String> settings) throws Exception {
        Map<String, String> values = new HashMap<>(settings);
        values.putIfAbsent("FORKLINE_HOST", "127.0.0.1");
        values.putIfAbsent("FORKLINE_PORT", Integer.toString(FreePorts.next()));
        values.putIfAbsent("FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next()));
        WorkerConfig config = WorkerConfig.from(values);
        Counters counters = new Counters();
        WorkerTransport transport = WorkerTransport.epoll(counters);
        Vertx vertx = Vertx.builder().withTransport(transport).with(new VertxOptions().setEventLoopPoolSize(1)).build();
        if (!vertx.isNativeTransportEnabled()) {
            vertx.close();
            throw new IllegalStateException("native transport unavailable", vertx.unavailableNativeTransportCause());
        }
        WorkerIdentity id = new WorkerIdentity(ProcessHandle.current().pid(), 0, 1, System.currentTimeMillis());
        WorkerVerticle verticle = new WorkerVerticle(config, id, counters);
        vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
        return new TestServer(vertx, verticle, config, counters);
    }

    LineClient connect() throws IOException {
        return LineClient.connect("127.0.0.1", port);
    }

    /** The worker's counters, read black-box through INFO on a connection of its own. */
    WorkerStats info() throws IOException {
        try (LineClient c = connect()) {
            return ControlCodec.decodeInfo(c.send("INFO"));
        }
    }

    /** The counters as the event loop sees them now, read on the loop (they are plain fields). */
    WorkerStats counters() throws Exception {
        WorkerIdentity id = new WorkerIdentity(ProcessHandle.current().pid(), 0, 1, System.currentTimeMillis());
        return io.vertx.core.Future.<WorkerStats>future(p -> ((io.vertx.core.internal.VertxInternal) vertx).nettyEventLoopGroup().next()
                .execute(() -> p.complete(counters.snapshot(id)))).await(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
