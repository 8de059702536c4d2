package dev.forkline.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * {@code hold}: opens many connections and keeps them idle after the greeting, while a sample of
 * them sends PING at a fixed pace (the latency of a request under a crowd of idle connections).
 *
 * <p>Cheap per connection, so that one process holds tens of thousands: ONE event loop, one
 * {@link Bootstrap} reused for every connect (no clone, no initializer: the handler is added by
 * {@code Bootstrap.init} as is), a handler object of a few fields per connection and no buffer held
 * between reads. Connects in flight are capped ({@code --max-pending}) and refilled as each one
 * completes, so a storm goes as fast as the server accepts without a SYN flood of our own. A process
 * has at most its fd limit of connections; spread more over processes and over source addresses
 * ({@code --source}: each 127.x address has its own ephemeral ports).
 *
 * <p>Everything runs on the one event loop; the control thread (stdin) only enqueues tasks to it.
 */
final class HoldGenerator {
    private static final Histogram EMPTY = new Histogram(60_000_000L, 3);

    private final LoadOptions o;
    private final PrintStream out;
    private final PrintStream progress;
    private final MultiThreadIoEventLoopGroup group;
    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final InetSocketAddress remote;
    private final List<InetSocketAddress> sources = new ArrayList<>();
    private final ByteBuf ping;

    // Event-loop confined state.
    private final List<Conn> sampleConns = new ArrayList<>();
    private final List<Channel> open = new ArrayList<>();
    private final Map<Long, Long> pids = new HashMap<>();
    private Histogram connectLatency = new Histogram(60_000_000L, 3);
    private Histogram pingLatency = new Histogram(60_000_000L, 3);
    private int target;
    private int pending;
    private int greeted;
    private int nextSource;
    private int samplesPending;
    private boolean reconnect;
    private boolean sampling;
    private boolean closing;
    private CompletableFuture<Void> reached;
    /** Failures by kind; lost = closed by the server after the greeting. */
    private long refused;
    private long timedOut;
    private long resetBeforeGreeting;
    private long busy;
    private long otherFailures;
    private long lost;
    private long reconnects;
    private long attempts;

    HoldGenerator(LoadOptions o, PrintStream out, PrintStream progress) {
        this.o = o;
        this.out = out;
        this.progress = progress;
        this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        this.loop = group.next();
        this.remote = new InetSocketAddress(o.host(), o.port());
        for (String s : o.sources()) {
            sources.add(new InetSocketAddress(s.strip(), 0));
        }
        this.bootstrap = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                // A port of a closed connection in TIME_WAIT may be bound again at once (many storms in a row).
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                // Idle connections read one greeting: a small first guess of the read buffer size.
                .option(ChannelOption.RCVBUF_ALLOCATOR, new io.netty.channel.AdaptiveRecvByteBufAllocator(64, 256, 65536));
        String line = o.http() ? o.request() + "\r\n\r\n" : o.request() + "\r\n";
        this.ping = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(line.getBytes(StandardCharsets.US_ASCII)));
    }

    /** Without --control: open --connections, hold them for --duration while the sample PINGs, print a summary. */
    LoadResult run() throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture<Void> done = onLoop(() -> grow(o.connections()));
        printProgressUntil(done, "connecting");
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        onLoop(() -> {
            pingLatency = new Histogram(60_000_000L, 3);
            startSampling();
            return CompletableFuture.completedFuture(null);
        }).get();
        long end = System.nanoTime() + o.duration().toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(1000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            progress.println("  holding  " + onLoop(() -> CompletableFuture.completedFuture(statsLine())).get());
        }
        Map<String, Object> snap = onLoop(() -> {
            sampling = false;
            Map<String, Object> m = new HashMap<>();
            m.put("latency", pingLatency.copy());
            m.put("held", (long) greeted);
            m.put("failed", failures());
            m.put("pids", Map.copyOf(pids));
            return CompletableFuture.completedFuture(m);
        }).get();
        close();
        long held = (Long) snap.get("held");
        @SuppressWarnings("unchecked")
        Map<Long, Long> byPid = (Map<Long, Long>) snap.get("pids");
        return new LoadResult(o, held / Math.max(1e-9, connectSeconds), held, (Long) snap.get("failed"),
                o.duration().toMillis() / 1000.0, (Histogram) snap.get("latency"), byPid);
    }

    /** With --control: one command per line on stdin, one JSON line on stdout per command. */
    void control() throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.strip().split("\\s+");
            switch (w[0]) {
                case "" -> {
                }
                case "hold" -> {
                    int n = Integer.parseInt(w[1]);
                    long t0 = System.nanoTime();
                    CompletableFuture<Void> done = onLoop(() -> grow(n));
                    printProgressUntil(done, "connecting to " + n);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    reply(onLoop(() -> CompletableFuture.completedFuture(json("hold", seconds, connectLatency))).get());
                }
                case "sample" -> {
                    long millis = LoadOptions.duration(w[1]).toMillis();
                    onLoop(() -> {
                        pingLatency = new Histogram(60_000_000L, 3);
                        startSampling();
                        return CompletableFuture.completedFuture(null);
                    }).get();
                    Thread.sleep(millis);
                    reply(onLoop(() -> {
                        sampling = false;
                        return CompletableFuture.completedFuture(json("sample", millis / 1000.0, pingLatency));
                    }).get());
                }
                case "reconnect" -> {
                    boolean on = w.length > 1 && w[1].equals("on");
                    reply(onLoop(() -> {
                        reconnect = on;
                        if (on) {
                            pump();
                        }
                        return CompletableFuture.completedFuture(json("reconnect", 0, EMPTY));
                    }).get());
                }
                case "stats" -> reply(onLoop(() -> CompletableFuture.completedFuture(json("stats", 0, EMPTY))).get());
                case "quit" -> {
                    close();
                    reply("{\"event\":\"quit\"}");
                    return;
                }
                default -> reply("{\"event\":\"error\",\"message\":\"unknown command " + w[0] + "\"}");
            }
        }
        close();
    }

    private void reply(String json) {
        out.println(json);
        out.flush();
    }

    private void printProgressUntil(CompletableFuture<Void> done, String what) throws Exception {
        while (true) {
            try {
                done.get(1, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.TimeoutException e) {
                progress.println("  " + what + "  " + onLoop(() -> CompletableFuture.completedFuture(statsLine())).get());
            }
        }
    }

    private <T> CompletableFuture<T> onLoop(java.util.function.Supplier<CompletableFuture<T>> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() -> task.get().whenComplete((v, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(v);
            }
        }));
        return result;
    }

    private void close() throws InterruptedException {
        CompletableFuture<Void> closed = onLoop(() -> {
            closing = true;
            sampling = false;
            List<ChannelFuture> fs = new ArrayList<>();
            for (Channel ch : new ArrayList<>(open)) {
                fs.add(ch.close());
            }
            CompletableFuture<Void> all = new CompletableFuture<>();
            if (fs.isEmpty()) {
                all.complete(null);
            }
            int[] left = {fs.size()};
            fs.forEach(f -> f.addListener(x -> {
                if (--left[0] == 0) {
                    all.complete(null);
                }
            }));
            return all;
        });
        try {
            closed.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            progress.println("  close: " + e);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    // ---- on the event loop ---------------------------------------------------------------------

    private CompletableFuture<Void> grow(int n) {
        target = n;
        reached = new CompletableFuture<>();
        connectLatency = new Histogram(60_000_000L, 3);
        pump();
        checkReached();
        return reached;
    }

    private void checkReached() {
        if (reached != null && greeted >= target && pending == 0) {
            CompletableFuture<Void> r = reached;
            reached = null;
            r.complete(null);
        }
    }

    /** Starts connects until target connections are open or in flight, at most --max-pending in flight. */
    private void pump() {
        while (!closing && greeted + pending < target && pending < o.maxPending()) {
            connect();
        }
    }

    private void connect() {
        pending++;
        attempts++;
        Conn c = new Conn(sampleConns.size() + samplesPending < o.sample());
        if (c.sample) {
            samplesPending++;
        }
        bootstrap.handler(c); // one Bootstrap, on its own loop: init() reads the handler synchronously
        ChannelFuture f = sources.isEmpty() ? bootstrap.connect(remote)
                : bootstrap.connect(remote, sources.get(nextSource++ % sources.size()));
        f.addListener(r -> {
            if (!r.isSuccess()) {
                Throwable e = r.cause();
                if (e instanceof io.netty.channel.ConnectTimeoutException) {
                    timedOut++;
                } else if (e instanceof ConnectException) { // Netty's native one says ECONNREFUSED
                    refused++;
                } else {
                    otherFailures++;
                    if (otherFailures <= 3) {
                        progress.println("  connect failed: " + e);
                    }
                }
                done(c, false);
            } else if (!o.greeting() && !o.http()) {
                greetedNow(c, f.channel(), -1);
            } else if (o.http()) {
                f.channel().writeAndFlush(ping.retainedDuplicate());
            }
        });
    }

    private void greetedNow(Conn c, Channel ch, long pid) {
        if (c.sample) {
            samplesPending--;
        }
        c.greeted = true;
        c.channel = ch;
        pending--;
        greeted++;
        open.add(ch);
        if (pid >= 0) {
            pids.merge(pid, 1L, Long::sum);
        }
        connectLatency.recordValue(Math.max(0, (System.nanoTime() - c.start) / 1000));
        if (c.sample) {
            sampleConns.add(c);
            if (sampling) {
                schedulePing(c);
            }
        }
        pump();
        checkReached();
    }

    /** A connect or a greeting failed: count it, and try again while we are below the target. */
    private void done(Conn c, boolean wasGreeted) {
        if (wasGreeted) {
            greeted--;
        } else {
            pending--;
            if (c.sample) {
                samplesPending--;
            }
        }
        pump();
        checkReached();
    }

    private void startSampling() {
        sampling = true;
        for (Conn c : sampleConns) {
            schedulePing(c);
        }
    }

    /** Paced, not closed-loop: one PING per interval per sample connection, at a random phase. */
    private void schedulePing(Conn c) {
        if (c.pingScheduled) {
            return;
        }
        c.pingScheduled = true;
        long interval = o.pingInterval().toNanos();
        loop.schedule(() -> ping(c), ThreadLocalRandom.current().nextLong(interval), TimeUnit.NANOSECONDS);
    }

    private void ping(Conn c) {
        if (!sampling || !c.channel.isActive()) {
            c.pingScheduled = false;
            return;
        }
        if (c.pingStart == 0) { // else the last answer is still missing: it is measured when it comes
            c.pingStart = System.nanoTime();
            c.channel.writeAndFlush(ping.retainedDuplicate(), c.channel.voidPromise());
        }
        loop.schedule(() -> ping(c), o.pingInterval().toNanos(), TimeUnit.NANOSECONDS);
    }

    private long failures() {
        return refused + timedOut + resetBeforeGreeting + busy + otherFailures;
    }

    private String statsLine() {
        return String.format(Locale.ROOT, "open %,d  connecting %d  failed %d (refused %d, timeout %d, reset %d, busy %d, other %d)  lost %d",
                greeted, pending, failures(), refused, timedOut, resetBeforeGreeting, busy, otherFailures, lost);
    }

    private String json(String event, double seconds, Histogram h) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "{\"event\":\"%s\",\"seconds\":%.3f,\"open\":%d,\"target\":%d,\"attempts\":%d,"
                        + "\"failed\":%d,\"refused\":%d,\"timeout\":%d,\"reset\":%d,\"busy\":%d,\"other\":%d,\"lost\":%d,"
                        + "\"reconnects\":%d,\"count\":%d,\"latency_us\":{",
                event, seconds, greeted, target, attempts, failures(), refused, timedOut, resetBeforeGreeting, busy,
                otherFailures, lost, reconnects, h.getTotalCount()));
        for (double p : new double[] {50, 90, 99, 99.9}) {
            sb.append(String.format(Locale.ROOT, "\"p%s\":%d,", p == 99.9 ? "99.9" : Long.toString((long) p),
                    h.getValueAtPercentile(p)));
        }
        sb.append(String.format(Locale.ROOT, "\"max\":%d},\"hist\":\"%s\",\"pids\":{", h.getMaxValue(), encode(h)));
        sb.append(String.join(",", pids.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> "\"" + e.getKey() + "\":" + e.getValue()).toList()));
        return sb.append("}}").toString();
    }

    /** The whole histogram, so that a report can merge those of several client processes exactly. */
    static String encode(Histogram h) {
        ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(b);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(b.array(), n));
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("not an encoded histogram", e);
        }
    }

    /** One connection: greeting (or first HTTP response), then idle, or PING if in the sample. */
    private final class Conn extends ChannelInboundHandlerAdapter {
        final boolean sample;
        final long start = System.nanoTime();
        Channel channel;
        boolean greeted;
        boolean pingScheduled;
        long pingStart;
        long pid;
        boolean refusedBusy;
        /** HTTP: 0..3 = bytes of CR LF CR LF matched, 4 = in the body (ends with LF). */
        int http;

        Conn(boolean sample) {
            this.sample = sample;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                for (int i = buf.readerIndex(); i < buf.writerIndex(); i++) {
                    byte b = buf.getByte(i);
                    if (!greeted) {
                        if (o.http()) {
                            if (httpByte(b)) {
                                greetedNow(this, ctx.channel(), -1);
                            }
                        } else if (b == '\n') {
                            if (pid < 0) {
                                busy++; // ERR busy (or any other line that is not a PID): refused by the server
                                refusedBusy = true;
                                ctx.close();
                                return;
                            }
                            greetedNow(this, ctx.channel(), pid);
                        } else if (b >= '0' && b <= '9' && pid >= 0) {
                            pid = pid * 10 + (b - '0');
                        } else if (b != '\r') {
                            pid = -1;
                        }
                    } else if (o.http() ? httpByte(b) : b == '\n') {
                        if (pingStart != 0 && sampling) {
                            pingLatency.recordValue(Math.max(0, (System.nanoTime() - pingStart) / 1000));
                        }
                        pingStart = 0;
                    }
                }
            } finally {
                buf.release();
            }
        }

        /** Whether this byte ends an HTTP response (headers, then a body that ends with LF: nginx's "$pid\n"). */
        private boolean httpByte(byte b) {
            if (http == 4) {
                if (b == '\n') {
                    http = 0;
                    return true;
                }
                return false;
            }
            boolean expected = (http % 2 == 0) ? b == '\r' : b == '\n';
            http = expected ? http + 1 : (b == '\r' ? 1 : 0);
            return false;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (closing) {
                return;
            }
            if (greeted) {
                open.remove(ctx.channel());
                lost++;
                if (sample) {
                    sampleConns.remove(this);
                }
                if (reconnect) {
                    reconnects++;
                } else {
                    target--; // what the server closed stays closed unless we reconnect
                }
                done(this, true);
            } else {
                if (!refusedBusy) {
                    resetBeforeGreeting++;
                }
                done(this, false);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
