package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Everything one worker serves, on its single event loop: the line protocol on FORKLINE_PORT
 * ({@link LineServer}) and, unless FORKLINE_HTTP_PORT is 0, the HTTP facet ({@link HttpFacet}).
 * {@link #start()} returns the listen futures, so a port that cannot be bound fails the deployment
 * and the worker exits with the boot-error code.
 *
 * <p>Both listeners set SO_REUSEPORT: every worker binds the same ports with sockets of its own and
 * the kernel spreads incoming connections across them (socket(7), SO_REUSEPORT). Reuse-port needs the
 * native epoll transport; under NIO Vert.x silently ignores it and the second worker's bind fails. (In
 * a worker the transport sets it for every server anyway; the options say it for the embedded use.)
 *
 * <p>Drain is the worker's, the same for every application ({@code WorkerMain}): listeners closed,
 * then every connection's graceful shutdown ({@code WorkerTransport}: HTTP keep-alive connections
 * close after their current request, answered with {@code Connection: close}), then undeploy. The line protocol is not a Vert.x server: its connections
 * start draining when its listener closes (quiet ones close, the rest at FORKLINE_DRAIN_TIMEOUT), and
 * {@link #stop()}, the undeploy, completes when they are gone.
 */
public final class WorkerVerticle extends VerticleBase {
    private final WorkerConfig config;
    private final Counters counters;
    private final Answers answers;
    private LineServer lineServer;
    private HttpServer httpServer;

    WorkerVerticle(WorkerConfig config, WorkerIdentity id, Counters counters) {
        this.config = config;
        this.counters = counters;
        this.answers = new Answers(id, counters, config.maxLine(), config.lineTimeout());
    }

    /**
     * Verticles that serve Forkline's protocols inside an application's own Vert.x instance, each
     * with counters of its own: deploy several instances on several event loops and each binds the
     * port with SO_REUSEPORT. What a Vert.x user would do instead of processes; the bench compares it.
     */
    public static java.util.function.Supplier<VerticleBase> embedded(WorkerConfig config) {
        return () -> new WorkerVerticle(config, WorkerIdentity.fromEnvironment(), new Counters());
    }

    @Override
    public Future<?> start() {
        // The line protocol on Netty directly, under Vert.x's event loop and transport (see LineServer);
        // idle timeout: our IdleSweeper, not a handler per connection.
        lineServer = new LineServer(config, answers, counters);
        List<Future<?>> listening = new ArrayList<>();
        listening.add(lineServer.listen((ContextInternal) context, config));
        if (config.httpPort() != 0) {
            HttpServerOptions http = new HttpServerOptions()
                    .setHost(config.host())
                    .setPort(config.httpPort())
                    .setReusePort(true)
                    .setReuseAddress(true)
                    .setTcpNoDelay(true)
                    .setAcceptBacklog(config.backlog())
                    .setIdleTimeout((int) config.idleTimeout().toMillis())
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                    // Vert.x turns HTTP/2 cleartext on by default; off unless FORKLINE_HTTP2=true
                    // (docs/BENCHMARKS.md has its measured cost).
                    .setHttp2ClearTextEnabled(config.http().http2())
                    .setMaxInitialLineLength(config.http().maxRequestLine())
                    .setMaxHeaderSize(config.http().maxHeaderSize());
            HttpFacet facet = new HttpFacet(answers, counters, config.maxConnections());
            httpServer = vertx.createHttpServer(http).connectionHandler(facet::connected).requestHandler(facet);
            listening.add(httpServer.listen());
        }
        return Future.all(listening);
    }

    /** Undeploy: the end of a drain (waits for the line connections), or Vert.x closing (closes them now). */
    @Override
    public Future<?> stop() {
        return lineServer == null ? Future.succeededFuture() : lineServer.stop();
    }
}
