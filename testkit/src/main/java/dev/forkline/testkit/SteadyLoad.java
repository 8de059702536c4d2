package dev.forkline.testkit;

import dev.forkline.protocol.LineClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Client load at a steady pace while a test does something disruptive (kills a worker, reloads),
 * counting what failed. Bounded in count and in time, always: every thread stops at
 * {@code maxDuration} or after {@code maxProbes} probes, whichever comes first.
 *
 * <p>A line-protocol probe opens a fresh connection, reads the greeting, sends {@code PING}, expects
 * {@code PONG} and sends {@code QUIT}. A failure to connect or to get the greeting is a failed
 * connection; a wrong or missing answer after the greeting is a failed request.
 *
 * <p>An HTTP probe ({@link #http}) opens a fresh connection, sends {@code GET path} with
 * {@code Connection: close} and reads the whole response: a failure to connect, or a connection
 * closed before the first byte of an answer, is a failed connection; anything but a complete 200
 * response after that is a failed request. Its body is the probe's
 * answer ({@link #answersSince}); the first {@code pid N} in it names the worker.
 */
public final class SteadyLoad implements AutoCloseable {
    private final String host;
    private final int port;
    /** The HTTP path to GET, or null for the line protocol. */
    private final String httpPath;
    /** HTTP probes reuse one connection per thread (keep-alive), as HTTP client pools do. */
    private boolean keepAlive;
    /** Every HTTP answer with the time it completed (bounded by the probe limits). */
    private final java.util.Queue<long[]> answerTimes = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final List<String> answerTexts = Collections.synchronizedList(new ArrayList<>());
    private final long intervalNanos;
    private final long deadlineNanos;
    private final int maxProbesPerThread;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();

    private final AtomicLong probes = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failedConnections = new AtomicLong();
    private final AtomicLong failedRequests = new AtomicLong();
    /** Keep-alive only: connections opened, and answers that said Connection: close. */
    private final AtomicLong keptConnectionsOpened = new AtomicLong();
    private final AtomicLong closesAnnounced = new AtomicLong();
    private final Map<Long, Long> perPid = new ConcurrentHashMap<>();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    /** What a load run saw. */
    public record Result(long probes, long ok, long failedConnections, long failedRequests,
                         Map<Long, Long> perPid, List<String> firstFailures) {
        public long failed() {
            return failedConnections + failedRequests;
        }

        @Override
        public String toString() {
            return probes + " probes: " + ok + " ok, " + failedConnections + " failed connections, "
                    + failedRequests + " failed requests; per worker PID " + perPid
                    + (firstFailures.isEmpty() ? "" : "; first failures " + firstFailures);
        }
    }

    private SteadyLoad(String host, int port, String httpPath, Duration interval, Duration maxDuration,
                       int maxProbesPerThread) {
        this.host = host;
        this.port = port;
        this.httpPath = httpPath;
        this.intervalNanos = interval.toNanos();
        this.deadlineNanos = System.nanoTime() + maxDuration.toNanos();
        this.maxProbesPerThread = maxProbesPerThread;
    }

    /**
     * Starts {@code threads} client threads, each probing once per {@code interval}, until
     * {@link #stop()}, {@code maxDuration} or {@code maxProbesPerThread}.
     */
    public static SteadyLoad start(String host, int port, int threads, Duration interval, Duration maxDuration,
                                   int maxProbesPerThread) {
        return begin(new SteadyLoad(host, port, null, interval, maxDuration, maxProbesPerThread), threads);
    }

    /** Like {@link #start}, with HTTP probes: {@code GET path} on a fresh connection each. */
    public static SteadyLoad http(String host, int port, String path, int threads, Duration interval,
                                  Duration maxDuration, int maxProbesPerThread) {
        return begin(new SteadyLoad(host, port, path, interval, maxDuration, maxProbesPerThread), threads);
    }

    /**
     * Like {@link #http}, but each thread keeps its connection open between probes (HTTP/1.1
     * keep-alive), reconnecting only when the server said {@code Connection: close} or closed it
     * after an answer: how client pools talk to a server. A request sent on an open connection that
     * gets no answer is a failed request.
     */
    public static SteadyLoad httpKeepAlive(String host, int port, String path, int threads, Duration interval,
                                           Duration maxDuration, int maxProbesPerThread) {
        SteadyLoad load = new SteadyLoad(host, port, path, interval, maxDuration, maxProbesPerThread);
        load.keepAlive = true;
        return begin(load, threads);
    }

    private static SteadyLoad begin(SteadyLoad load, int threads) {
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(load::run, "steady-load-" + i);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    /** Probes done so far (for waiting until the load is under way). */
    public long probes() {
        return probes.get();
    }

    /**
     * Keep-alive load ({@link #httpKeepAlive}): connections the threads have opened so far. More
     * than one per thread means servers ended connections and the threads moved to new ones.
     */
    public long keptConnectionsOpened() {
        return keptConnectionsOpened.get();
    }

    /** Keep-alive load: answers that carried {@code Connection: close} (a draining server's last answer). */
    public long closesAnnounced() {
        return closesAnnounced.get();
    }

    /** The worker PIDs that have greeted a probe so far. */
    public java.util.Set<Long> pidsSeen() {
        return java.util.Set.copyOf(perPid.keySet());
    }

    private void run() {
        long next = System.nanoTime();
        KeptConnection kept = new KeptConnection();
        for (int i = 0; i < maxProbesPerThread && !stop.get() && System.nanoTime() - deadlineNanos < 0; i++) {
            if (keepAlive) {
                probes.incrementAndGet();
                kept.probe();
            } else {
                probe();
            }
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait); // pacing, not waiting for anything
            } else {
                next = System.nanoTime();
            }
        }
        kept.close();
    }

    /** One thread's keep-alive connection. */
    private final class KeptConnection {
        private java.net.Socket socket;
        private java.io.BufferedInputStream in;

        void probe() {
            boolean fresh = socket == null;
            if (fresh) {
                socket = new java.net.Socket();
                keptConnectionsOpened.incrementAndGet();
                try {
                    socket.connect(new java.net.InetSocketAddress(host, port), 5000);
                    socket.setSoTimeout(10_000);
                    in = new java.io.BufferedInputStream(socket.getInputStream());
                } catch (IOException e) {
                    failedConnections.incrementAndGet();
                    note("connect: " + e);
                    close();
                    return;
                }
            }
            boolean answered = false;
            try {
                socket.getOutputStream().write(("GET " + httpPath + " HTTP/1.1\r\nHost: " + host + ":" + port
                        + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String status = line();
                answered = true;
                int length = -1;
                boolean close = false;
                String h;
                while (!(h = line()).isEmpty()) {
                    String lower = h.toLowerCase(java.util.Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Integer.parseInt(lower.substring(15).strip());
                    } else if (lower.startsWith("connection:") && lower.contains("close")) {
                        close = true;
                    }
                }
                if (length < 0) {
                    throw new IOException("no Content-Length in the answer to a keep-alive request");
                }
                String body = new String(in.readNBytes(length), java.nio.charset.StandardCharsets.UTF_8).strip();
                if (!status.startsWith("HTTP/1.1 200 ")) {
                    throw new IOException("not a 200 response: " + status);
                }
                record(body);
                ok.incrementAndGet();
                if (close) {
                    closesAnnounced.incrementAndGet();
                    close();
                }
            } catch (IOException | RuntimeException e) {
                // On a fresh connection, no answer at all is the kernel's reset of a queued connection
                // (as for the other probes); on a kept one, it is a request the server dropped.
                (fresh && !answered ? failedConnections : failedRequests).incrementAndGet();
                note("GET " + httpPath + (fresh ? "" : " (kept connection)") + (answered ? "" : " (no answer)") + ": " + e);
                close();
            }
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new java.io.EOFException("connection closed" + (sb.length() > 0 ? " mid-line" : ""));
                }
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            return sb.toString();
        }

        void close() {
            if (socket != null) {
                closeQuietly(socket);
            }
            socket = null;
            in = null;
        }
    }

    private void record(String body) {
        java.util.regex.Matcher m = PID.matcher(body);
        if (m.find()) {
            perPid.merge(Long.parseLong(m.group(1)), 1L, Long::sum);
        }
        synchronized (answerTexts) {
            answerTexts.add(body);
            answerTimes.add(new long[] {System.nanoTime(), answerTexts.size() - 1});
        }
    }

    /** Every HTTP answer (body) so far. */
    public List<String> answers() {
        synchronized (answerTexts) {
            return List.copyOf(answerTexts);
        }
    }

    /** The HTTP answers (bodies) of probes that completed in [from, to) (System.nanoTime()). */
    public List<String> answersBetween(long from, long to) {
        List<String> between = new ArrayList<>();
        for (long[] a : answerTimes) {
            if (a[0] - from >= 0 && a[0] - to < 0) {
                between.add(answerTexts.get((int) a[1]));
            }
        }
        return between;
    }

    /** The HTTP answers (bodies) of probes that completed at or after {@code nanoTime} (System.nanoTime()). */
    public List<String> answersSince(long nanoTime) {
        List<String> since = new ArrayList<>();
        for (long[] a : answerTimes) {
            if (a[0] - nanoTime >= 0) {
                since.add(answerTexts.get((int) a[1]));
            }
        }
        return since;
    }

    private void probe() {
        probes.incrementAndGet();
        if (httpPath != null) {
            httpProbe();
            return;
        }
        LineClient c;
        try {
            c = LineClient.connect(host, port, Duration.ofSeconds(5));
        } catch (IOException e) {
            failedConnections.incrementAndGet();
            note("connect: " + e);
            return;
        }
        try (c) {
            perPid.merge(c.serverPid(), 1L, Long::sum);
            String answer = c.send("PING");
            if (!answer.equals("PONG")) {
                throw new IOException("PING answered with " + answer);
            }
            c.quit();
            ok.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            failedRequests.incrementAndGet();
            note("request to pid " + c.greeting() + ": " + e);
        }
    }

    private static final java.util.regex.Pattern PID = java.util.regex.Pattern.compile("pid\\W{0,3}(\\d+)");

    private void httpProbe() {
        java.net.Socket socket = new java.net.Socket();
        try {
            socket.connect(new java.net.InetSocketAddress(host, port), 5000);
        } catch (IOException e) {
            failedConnections.incrementAndGet();
            note("connect: " + e);
            closeQuietly(socket);
            return;
        }
        boolean answered = false;
        try (socket) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + httpPath + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = socket.getInputStream();
            int first = in.read();
            if (first < 0) {
                throw new java.io.EOFException("closed before any response");
            }
            answered = true;
            String response = (char) first + new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            int bodyAt = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.1 200 ") || bodyAt < 0) {
                throw new IOException("not a 200 response: " + response.lines().findFirst().orElse("(nothing)"));
            }
            record(response.substring(bodyAt + 4).strip());
            ok.incrementAndGet();
        } catch (IOException | RuntimeException e) {
            // No byte of an answer: the server never took the connection (a reset from the kernel's
            // accept queue), as a missing greeting is for the line protocol.
            (answered ? failedRequests : failedConnections).incrementAndGet();
            note("GET " + httpPath + (answered ? "" : " (no answer)") + ": " + e);
        }
    }

    private static void closeQuietly(java.net.Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to release
        }
    }

    private void note(String failure) {
        if (failures.size() < 10) {
            failures.add(failure);
        }
    }

    /** Stops every thread, waits for them, and returns the counts. */
    public Result stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(30_000);
        }
        return new Result(probes.get(), ok.get(), failedConnections.get(), failedRequests.get(),
                Map.copyOf(perPid), List.copyOf(failures));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
