package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Everything one worker serves, on its single event loop: the line protocol on FORKLINE_PORT and,
 * unless FORKLINE_HTTP_PORT is 0, the HTTP facet ({@link HttpFacet}). {@link #start()} returns the
 * listen futures, so a port that cannot be bound fails the deployment and the worker exits with the
 * boot-error code.
 *
 * <p>Both listeners set SO_REUSEPORT: every worker binds the same ports with sockets of its own and
 * the kernel spreads incoming connections across them (socket(7), SO_REUSEPORT). Reuse-port needs the
 * native epoll transport; under NIO Vert.x silently ignores it and the second worker's bind fails. (In
 * a worker the transport sets it for every server anyway; the options say it for the embedded use.)
 *
 * <p>Drain is the worker's, the same for every application ({@code WorkerMain}): listeners closed,
 * then Vert.x's graceful shutdown of each server, which calls each line connection's shutdown
 * handler ({@link LineConnection}) and closes HTTP keep-alive connections after their current request (answered with {@code Connection: close}).
 */
public final class WorkerVerticle extends VerticleBase {
    private final WorkerConfig config;
    private final Counters counters;
    private final Answers answers;
    private NetServer lineServer;
    private HttpServer httpServer;
    private IdleSweeper idle;

    WorkerVerticle(WorkerConfig config, WorkerIdentity id, Counters counters) {
        this.config = config;
        this.counters = counters;
        this.answers = new Answers(id, counters, config.maxLine(), config.lineTimeout());
    }

    /**
     * Verticles that serve Forkline's protocols inside an application's own Vert.x instance, each
     * with counters of its own: deploy several instances on several event loops and Vert.x shares
     * the port among them. What a Vert.x user would do instead of processes; the bench compares it.
     */
    public static java.util.function.Supplier<VerticleBase> embedded(WorkerConfig config) {
        return () -> new WorkerVerticle(config, WorkerIdentity.fromEnvironment(), new Counters());
    }

    @Override
    public Future<?> start() {
        NetServerOptions options = new NetServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setReusePort(true)
                .setReuseAddress(true)
                .setTcpNoDelay(true); // idle timeout: our IdleSweeper, not a handler per connection
        idle = new IdleSweeper(vertx, config.idleTimeout());
        lineServer = vertx.createNetServer(options).connectHandler(this::accept);
        List<Future<?>> listening = new ArrayList<>();
        listening.add(lineServer.listen());
        if (config.httpPort() != 0) {
            HttpServerOptions http = new HttpServerOptions()
                    .setHost(config.host())
                    .setPort(config.httpPort())
                    .setReusePort(true)
                    .setReuseAddress(true)
                    .setTcpNoDelay(true)
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

    private void accept(NetSocket socket) {
        counters.accepted++;
        if (counters.connections >= config.maxConnections()) {
            counters.bytesOut += Answers.BUSY.length();
            socket.write(Answers.BUSY);
            socket.close();
            return;
        }
        new LineConnection(vertx, socket, answers, counters, idle, config.maxLine(), config.lineTimeout().toMillis())
                .start();
    }

}
