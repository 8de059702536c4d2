package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
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
 * native epoll transport; under NIO Vert.x silently ignores it and the second worker's bind fails.
 */
public final class WorkerVerticle extends VerticleBase {
    private final WorkerConfig config;
    private final WorkerTransport transport;
    private final Counters counters;
    private final Answers answers;
    private NetServer lineServer;
    private HttpServer httpServer;
    private IdleSweeper idle;

    WorkerVerticle(WorkerConfig config, WorkerTransport transport, WorkerIdentity id, Counters counters) {
        this.config = config;
        this.transport = transport;
        this.counters = counters;
        this.answers = new Answers(id, counters, config.maxLine(), config.lineTimeout());
    }

    /**
     * Verticles that serve Forkline's protocols inside an application's own Vert.x instance, each
     * with counters of its own: deploy several instances on several event loops and Vert.x shares
     * the port among them. What a Vert.x user would do instead of processes; the bench compares it.
     */
    public static java.util.function.Supplier<VerticleBase> embedded(WorkerConfig config) {
        return () -> new WorkerVerticle(config, null, WorkerIdentity.fromEnvironment(), new Counters());
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
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
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

    /**
     * Graceful drain: closes the listening sockets at once (see {@link WorkerTransport} for
     * why we close them ourselves), then tells every connection to finish and close once quiet (HTTP
     * keep-alive connections get {@code Connection: close}), and completes when none are left or
     * after {@code timeout}, when the rest are closed.
     */
    Future<Void> drain(Duration timeout) {
        Future<Void> listenersClosed = transport != null ? transport.closeListeners() : Future.succeededFuture();
        return listenersClosed.compose(v -> {
            // On the event loop, behind any accepted connection still being registered there.
            Promise<Void> drained = Promise.promise();
            context.runOnContext(x -> {
                List<Future<Void>> done = new ArrayList<>();
                done.add(lineServer.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS));
                if (httpServer != null) {
                    done.add(httpServer.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS));
                }
                Future.all(done).<Void>mapEmpty().onComplete(drained);
            });
            return drained.future();
        });
    }

    /** Closes the listeners and every connection now. */
    Future<Void> closeNow() {
        List<Future<Void>> done = new ArrayList<>();
        done.add(lineServer.close());
        if (httpServer != null) {
            done.add(httpServer.close());
        }
        return Future.all(done).mapEmpty();
    }

    int actualPort() {
        return lineServer.actualPort();
    }
}
