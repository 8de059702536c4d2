package dev.forkline.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop load on a line protocol, on Netty's epoll transport with one event loop per client
 * thread, so that the client costs little per request: it counts LF bytes and never decodes a line.
 *
 * <ul>
 *   <li>{@code greet}: connect, read the greeting line, close, again (connection rate; the latency is
 *       connect to greeting).</li>
 *   <li>{@code req}: persistent connections, each with {@code depth} request lines in flight, sent as one
 *       write; when all are answered, the next batch (request rate; the latency is per batch).</li>
 * </ul>
 */
final class LoadGenerator {
    private final LoadOptions o;
    private final PrintStream progress;
    private final EventLoopGroup group;
    /**
     * One Bootstrap per event loop, used only on that loop: a connect reuses it as is, instead of
     * cloning a Bootstrap (and its option maps) per connection; {@code init()} reads the handler
     * synchronously, so setting it just before {@code connect()} on the same thread is safe.
     */
    private final Map<EventLoop, Bootstrap> bootstraps = new HashMap<>();
    private final java.util.List<EventLoop> loops = new java.util.ArrayList<>();
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Map<EventLoop, LoopStats> stats = new ConcurrentHashMap<>();
    private final LongAdder completions = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final ByteBuf batch;
    private final java.net.InetSocketAddress remote;
    private volatile boolean recording;
    private volatile boolean stopping;

    /** Loop-confined: only its event loop writes these. */
    private static final class LoopStats {
        final Histogram latencyMicros = new Histogram(60_000_000L, 3);
        final Map<Long, Long> pids = new HashMap<>();
    }

    LoadGenerator(LoadOptions o, PrintStream progress) {
        this.o = o;
        this.progress = progress;
        this.group = new MultiThreadIoEventLoopGroup(o.threads(), EpollIoHandler.newFactory());
        for (io.netty.util.concurrent.EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            loops.add(loop);
            bootstraps.put(loop, new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    // greet closes every connection it opens: let a port in TIME_WAIT be bound again
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000));
        }
        this.remote = new java.net.InetSocketAddress(o.host(), o.port());
        byte[] line = (o.request() + "\r\n").getBytes(StandardCharsets.UTF_8);
        ByteBuf b = Unpooled.directBuffer(line.length * o.depth());
        for (int i = 0; i < o.depth(); i++) {
            b.writeBytes(line);
        }
        this.batch = Unpooled.unreleasableBuffer(b);
    }

    LoadResult run() throws InterruptedException {
        for (int i = 0; i < o.connections(); i++) {
            EventLoop loop = loops.get(i % loops.size());
            loop.execute(() -> connect(loop));
        }
        tick("warm-up", o.warmup().toMillis());
        completions.reset();
        errors.reset();
        recording = true;
        long t0 = System.nanoTime();
        tick("", o.duration().toMillis());
        recording = false;
        double seconds = (System.nanoTime() - t0) / 1e9;
        long done = completions.sum();
        long failed = errors.sum();
        stopping = true;
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);

        Histogram latency = new Histogram(60_000_000L, 3);
        Map<Long, Long> pids = new HashMap<>();
        CountDownLatch merged = new CountDownLatch(stats.size());
        stats.forEach((loop, s) -> loop.execute(() -> {
            synchronized (latency) {
                latency.add(s.latencyMicros);
                s.pids.forEach((pid, n) -> pids.merge(pid, n, Long::sum));
            }
            merged.countDown();
        }));
        merged.await(10, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        synchronized (latency) {
            return new LoadResult(o, done / seconds, done, failed, seconds, latency, Map.copyOf(pids));
        }
    }

    /** Sleeps in one-second steps, printing the rate of each second. */
    private void tick(String label, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long last = completions.sum();
        int second = 0;
        while (System.nanoTime() < end) {
            long step = Math.min(1000, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
            Thread.sleep(Math.max(1, step));
            long now = completions.sum();
            second++;
            progress.printf("  %s%3ds  %,12.0f %s/s   errors %d%n", label.isEmpty() ? "" : label + " ", second,
                    (now - last) * 1000.0 / Math.max(1, step), o.mode() == LoadOptions.Mode.GREET ? "conn" : "req",
                    errors.sum());
            last = now;
        }
    }

    /** On {@code loop}: opens one connection there. */
    private void connect(EventLoop loop) {
        if (stopping) {
            return;
        }
        ChannelInboundHandlerAdapter handler = o.mode() == LoadOptions.Mode.GREET ? new Greet() : new Requests();
        long start = System.nanoTime();
        ChannelFuture f = bootstraps.get(loop).handler(handler).connect(remote);
        f.addListener(r -> {
            if (r.isSuccess()) {
                channels.add(f.channel());
                if (handler instanceof Greet g) {
                    g.start = start;
                }
            } else {
                failed(f.channel().eventLoop());
            }
        });
    }

    private void failed(EventLoop loop) {
        if (recording) {
            errors.increment();
        }
        if (!stopping) {
            // Back off a little so that a refused port does not become a busy loop.
            loop.schedule(() -> connect(loop), 10, TimeUnit.MILLISECONDS);
        }
    }

    private LoopStats stats(ChannelHandlerContext ctx) {
        return stats.computeIfAbsent(ctx.channel().eventLoop(), l -> new LoopStats());
    }

    /** Reads digits up to the first LF: the greeting's PID. Returns the index after the LF, or -1. */
    private static int scanGreeting(ByteBuf buf, long[] pid) {
        for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
            byte b = buf.getByte(i);
            if (b == '\n') {
                return i + 1;
            }
            if (b >= '0' && b <= '9') {
                pid[0] = pid[0] * 10 + (b - '0');
            }
        }
        return -1;
    }

    /** greet: connect, read the greeting, close, again. */
    private final class Greet extends ChannelInboundHandlerAdapter {
        long start;
        private final long[] pid = {0};
        private boolean greeted;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                if (!greeted && scanGreeting(buf, pid) >= 0) {
                    greeted = true;
                    if (recording) {
                        completions.increment();
                        LoopStats s = stats(ctx);
                        s.latencyMicros.recordValue(Math.max(0, (System.nanoTime() - start) / 1000));
                        s.pids.merge(pid[0], 1L, Long::sum);
                    }
                    ctx.close();
                }
            } finally {
                buf.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!greeted) {
                failed(ctx.channel().eventLoop());
            } else {
                connect(ctx.channel().eventLoop());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** req: depth lines in flight on a persistent connection, one batch at a time. */
    private final class Requests extends ChannelInboundHandlerAdapter {
        private final long[] pid = {0};
        private boolean greeted = !o.greeting();
        private int outstanding;
        private long batchStart;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (greeted) {
                send(ctx);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                int from = buf.readerIndex();
                if (!greeted) {
                    int after = scanGreeting(buf, pid);
                    if (after < 0) {
                        return;
                    }
                    greeted = true;
                    stats(ctx).pids.merge(pid[0], 1L, Long::sum); // connections per PID, warm-up or not
                    from = after;
                    send(ctx);
                }
                int lines = 0;
                for (int i = from; i < buf.writerIndex(); i++) {
                    if (buf.getByte(i) == '\n') {
                        lines++;
                    }
                }
                if (lines == 0) {
                    return;
                }
                if (recording) {
                    completions.add(lines);
                }
                outstanding -= lines;
                if (outstanding <= 0) {
                    if (recording) {
                        stats(ctx).latencyMicros.recordValue(Math.max(0, (System.nanoTime() - batchStart) / 1000));
                    }
                    send(ctx);
                }
            } finally {
                buf.release();
            }
        }

        private void send(ChannelHandlerContext ctx) {
            outstanding = o.depth();
            batchStart = System.nanoTime();
            ctx.writeAndFlush(batch.retainedDuplicate());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!stopping) {
                failed(ctx.channel().eventLoop());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
