package dev.forkline.worker;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ServerChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Watches the bind of every listening socket the worker's Vert.x creates, whoever creates it (the
 * built-in servers or the application's). "Ready" must mean "serving": an application whose
 * {@code start()} calls {@code listen()} without returning its future completes its deployment before
 * the socket is bound, or with a bind that is going to fail. The worker therefore waits, after the
 * deployment, until every listening socket created so far has settled, and treats a failed bind as a
 * boot error naming the address.
 *
 * <p>A warm standby {@linkplain #hold() holds} every bind: the socket is created, configured
 * (SO_REUSEPORT, the HTTP guard) and registered with the event loop, but the bind request stops here,
 * so nothing listens and the {@code listen()} futures stay pending, until {@link #release()} (the
 * supervisor's {@code promote}) sends each held bind on to its socket, as if it had just been asked.
 *
 * <p>Thread-safe: sockets are created on whatever thread calls {@code listen()}; binds complete on the
 * event loop.
 */
final class Binds {
    /** Where the worker listens, and which binds failed (address: reason). */
    record Result(List<String> listening, List<String> failed) {
    }

    private final Set<ServerChannel> unsettled = new LinkedHashSet<>();
    private final List<String> listening = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    /** Ports of the sockets that are bound or failed to bind (what a server waiting for its socket looks for). */
    private final Set<Integer> settledPorts = new java.util.HashSet<>();
    private final List<Promise<Result>> waiters = new ArrayList<>();
    /** Whether binds are held back (a standby not promoted yet). */
    private boolean holding;
    /** Binds held back, in the order they were asked for. */
    private final List<Held> held = new ArrayList<>();
    /** Run after each bind is held, on the socket's event loop. */
    private Runnable onHeld = () -> { };

    private record Held(ServerChannel channel, ChannelHandlerContext ctx, SocketAddress local, ChannelPromise promise) {
    }

    /** From now on, binds are held back until {@link #release()}; {@code onHeld} runs after each. */
    synchronized void hold(Runnable onHeld) {
        this.holding = true;
        this.onHeld = onHeld;
    }

    /**
     * Stops holding: every held bind goes on to its socket, on its event loop, and binds asked for
     * from now on go through at once. The sockets join the port's reuse-port group as they bind.
     *
     * <p>The sockets of one event loop bind one after the other in one task, and only then are their
     * binds' promises completed: what completes a listen future (Vert.x's server bookkeeping, the
     * application's code after listen()) runs once every socket listens, not between two binds
     * (measured: 40 ms between the first and the second listen(2) of a promoted standby on a loaded
     * machine, before).
     */
    void release() {
        List<Held> go;
        synchronized (this) {
            holding = false;
            go = new ArrayList<>(held);
            held.clear();
        }
        java.util.Map<io.netty.util.concurrent.EventExecutor, List<Held>> byLoop = new java.util.LinkedHashMap<>();
        go.forEach(h -> byLoop.computeIfAbsent(h.ctx().executor(), e -> new ArrayList<>()).add(h));
        byLoop.forEach((loop, binds) -> loop.execute(() -> {
            List<io.netty.channel.ChannelFuture> bound = new ArrayList<>();
            for (Held h : binds) {
                // Epoll binds and listens within this call.
                bound.add(h.channel().isOpen() ? h.ctx().bind(h.local(), h.ctx().newPromise()) : null);
            }
            for (int i = 0; i < binds.size(); i++) {
                ChannelPromise promise = binds.get(i).promise();
                io.netty.channel.ChannelFuture f = bound.get(i);
                if (f == null) {
                    promise.tryFailure(new java.nio.channels.ClosedChannelException());
                } else {
                    f.addListener(r -> {
                        if (r.isSuccess()) {
                            promise.trySuccess();
                        } else {
                            promise.tryFailure(r.cause());
                        }
                    });
                }
            }
        }));
    }

    /** The addresses of the binds held back now. */
    synchronized List<String> heldAddresses() {
        List<String> addresses = new ArrayList<>();
        for (Held h : held) {
            addresses.add(format(h.local()));
        }
        return addresses;
    }

    /**
     * Whether every socket created so far is waiting for nothing but its held bind (or has settled),
     * and a socket on {@code port} is among them: a standby's application has got as far as it can
     * before it listens.
     */
    synchronized boolean onlyHeldPending(java.util.Collection<Integer> ports) {
        Set<ServerChannel> heldChannels = new java.util.HashSet<>();
        Set<Integer> heldPorts = new java.util.HashSet<>();
        for (Held h : held) {
            heldChannels.add(h.channel());
            if (h.local() instanceof InetSocketAddress a) {
                heldPorts.add(a.getPort());
            }
        }
        if (!heldChannels.containsAll(unsettled)) {
            return false;
        }
        for (int port : ports) {
            if (!heldPorts.contains(port) && !settledPorts.contains(port)) {
                return false;
            }
        }
        return true;
    }

    /** Starts watching a listening socket that was just created (not yet registered or bound). */
    void watch(ServerChannel ch) {
        synchronized (this) {
            unsettled.add(ch);
        }
        ch.pipeline().addLast(new Watch(ch));
        // A socket closed before it was ever bound (its listen() was abandoned) settles too.
        ch.closeFuture().addListener(f -> settle(ch, null, null, -1));
    }

    /** Completes once no listening socket created so far is still waiting for its bind. */
    Future<Result> settled() {
        Promise<Result> p = Promise.promise();
        Result done;
        synchronized (this) {
            if (!unsettled.isEmpty()) {
                waiters.add(p);
                return p.future();
            }
            done = result();
        }
        p.complete(done);
        return p.future();
    }

    /** Whether a socket on {@code port} has been bound or failed to bind, and none is still pending. */
    synchronized boolean settled(int port) {
        return unsettled.isEmpty() && settledPorts.contains(port);
    }

    private void settle(ServerChannel ch, String bound, String failure, int port) {
        List<Promise<Result>> ready;
        Result result;
        synchronized (this) {
            if (!unsettled.remove(ch)) {
                return;
            }
            if (port > 0) {
                settledPorts.add(port);
            }
            if (bound != null) {
                listening.add(bound);
            }
            if (failure != null) {
                failed.add(failure);
            }
            if (!unsettled.isEmpty()) {
                return;
            }
            ready = new ArrayList<>(waiters);
            waiters.clear();
            result = result();
        }
        ready.forEach(w -> w.complete(result));
    }

    private Result result() {
        return new Result(List.copyOf(listening), List.copyOf(failed));
    }

    private static SocketAddress withPort(SocketAddress requested, SocketAddress bound) {
        if (requested instanceof InetSocketAddress r && bound instanceof InetSocketAddress b) {
            return r.getAddress() != null ? new InetSocketAddress(r.getAddress(), b.getPort()) : b;
        }
        return bound;
    }

    static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** Sees the bind on its way to the socket, and its outcome. */
    private final class Watch extends ChannelOutboundHandlerAdapter {
        private final ServerChannel ch;

        Watch(ServerChannel ch) {
            this.ch = ch;
        }

        @Override
        public boolean isSharable() {
            return false;
        }

        @Override
        public void bind(ChannelHandlerContext ctx, SocketAddress local, ChannelPromise promise) {
            watchOutcome(local, promise);
            Runnable heldNow = null;
            synchronized (Binds.this) {
                if (holding) {
                    held.add(new Held(ch, ctx, local, promise));
                    heldNow = onHeld;
                }
            }
            if (heldNow != null) {
                heldNow.run();
                return;
            }
            ctx.bind(local, promise);
        }

        private void watchOutcome(SocketAddress local, ChannelPromise promise) {
            promise.addListener(f -> {
                if (f.isSuccess()) {
                    // The address asked for (0.0.0.0, not the dual-stack [::] the socket reports) with
                    // the port the kernel gave (for port 0).
                    SocketAddress bound = withPort(local, ch.localAddress());
                    settle(ch, format(bound), null, local instanceof InetSocketAddress l ? l.getPort() : -1);
                } else {
                    Throwable cause = f.cause();
                    settle(ch, null, format(local) + ": " + (cause.getMessage() != null ? cause.getMessage() : cause),
                            local instanceof InetSocketAddress l ? l.getPort() : -1);
                }
            });
        }
    }
}
