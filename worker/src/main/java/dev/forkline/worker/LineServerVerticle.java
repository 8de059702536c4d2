package dev.forkline.worker;

import dev.forkline.config.WorkerConfig;
import io.vertx.core.Future;
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
    private final Counters counters;
    private final Answers answers;
    private NetServer server;

    LineServerVerticle(WorkerConfig config, WorkerIdentity id, Counters counters) {
        this.config = config;
        this.counters = counters;
        this.answers = new Answers(id, counters, config.maxLine());
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
        counters.connections++;
        socket.closeHandler(v -> counters.connections--);
        new LineConnection(socket, answers, counters, config.maxLine()).start();
    }

    /**
     * Graceful drain: closes the listener at once, tells every connection to finish the line in
     * progress and close, and completes when none are left or after {@code timeout}, when the rest
     * are closed.
     */
    Future<Void> drain(Duration timeout) {
        return server.shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Closes the listener and every connection now. */
    Future<Void> closeNow() {
        return server.close();
    }

    int actualPort() {
        return server.actualPort();
    }
}
