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
 * <p>A probe opens a fresh connection, reads the greeting, sends {@code PING}, expects {@code PONG}
 * and sends {@code QUIT}. A failure to connect or to get the greeting is a failed connection; a
 * wrong or missing answer after the greeting is a failed request.
 */
public final class SteadyLoad implements AutoCloseable {
    private final String host;
    private final int port;
    private final long intervalNanos;
    private final long deadlineNanos;
    private final int maxProbesPerThread;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();

    private final AtomicLong probes = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failedConnections = new AtomicLong();
    private final AtomicLong failedRequests = new AtomicLong();
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

    private SteadyLoad(String host, int port, Duration interval, Duration maxDuration, int maxProbesPerThread) {
        this.host = host;
        this.port = port;
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
        SteadyLoad load = new SteadyLoad(host, port, interval, maxDuration, maxProbesPerThread);
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

    /** The worker PIDs that have greeted a probe so far. */
    public java.util.Set<Long> pidsSeen() {
        return java.util.Set.copyOf(perPid.keySet());
    }

    private void run() {
        long next = System.nanoTime();
        for (int i = 0; i < maxProbesPerThread && !stop.get() && System.nanoTime() - deadlineNanos < 0; i++) {
            probe();
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait); // pacing, not waiting for anything
            } else {
                next = System.nanoTime();
            }
        }
    }

    private void probe() {
        probes.incrementAndGet();
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
