package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The line-protocol listener of one worker. {@link #start()} returns the listen future, so a port that
 * cannot be bound fails the deployment and the worker exits with the boot-error code.
 *
 * <p>The listener sets SO_REUSEPORT: every worker binds the same port with a socket of its own and the
 * kernel spreads incoming connections across them (socket(7), SO_REUSEPORT). Reuse-port needs the
 * native epoll transport; under NIO Vert.x silently ignores it and the second worker's bind fails.
 */
public final class LineServerVerticle extends VerticleBase {
    private final WorkerConfig config;
    private final ListenerTrackingTransport transport;
    private final Counters counters;
    private final Answers answers;
    private NetServer server;

    LineServerVerticle(WorkerConfig config, ListenerTrackingTransport transport, WorkerIdentity id, Counters counters) {
        this.config = config;
        this.transport = transport;
        this.counters = counters;
        this.answers = new Answers(id, counters, config.maxLine(), config.lineTimeout());
    }

    @Override
    public Future<?> start() {
        NetServerOptions options = new NetServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setReusePort(true)
                .setReuseAddress(true)
                .setTcpNoDelay(true)
                .setIdleTimeout((int) config.idleTimeout().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        server = vertx.createNetServer(options).connectHandler(this::accept);
        return server.listen();
    }

    private void accept(NetSocket socket) {
        counters.accepted++;
        if (counters.connections >= config.maxConnections()) {
            counters.bytesOut += Answers.BUSY.length();
            socket.write(Answers.BUSY);
            socket.close();
            return;
        }
        new LineConnection(vertx, socket, answers, counters, config.maxLine(), config.lineTimeout().toMillis()).start();
    }

    /**
     * Graceful drain: closes the listening socket at once (see {@link ListenerTrackingTransport} for
     * why we close it ourselves), then tells every connection to finish and close once quiet, and
     * completes when none are left or after {@code timeout}, when the rest are closed.
     */
    Future<Void> drain(Duration timeout) {
        return transport.closeListeners().compose(v -> {
            // On the event loop, behind any accepted connection still being registered there.
            Promise<Void> drained = Promise.promise();
            context.runOnContext(x -> server.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS).onComplete(drained));
            return drained.future();
        });
    }

    /** Closes the listener and every connection now. */
    Future<Void> closeNow() {
        return server.close();
    }

    int actualPort() {
        return server.actualPort();
    }
}
