package dev.forkline.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether this machine lets the workers hold what the settings ask for: open files, listen backlog
 * and worker heap. Each check is a warning at start (nothing stops: a limit may be raised later, a
 * worker may never reach its maximum), with the setting, the limit and how to raise it. The checks
 * are pure functions of the numbers; {@link #warnings} reads them from /proc.
 */
final class Capacity {
    /**
     * Files a worker has open besides its connections: the jar and JDK files, epoll and event fds,
     * the control pipes, the listeners (counted: 60-70 on a running worker).
     */
    static final long FILES_BESIDES_CONNECTIONS = 128;
    /**
     * Worker heap an idle line connection needs: 1.25 KB live (a heap histogram at 10 000 and 15 000
     * idle connections, docs/SCALE.md), with headroom for the young generation and garbage.
     */
    static final long HEAP_PER_CONNECTION = 2048;
    /** Worker heap with no connection: ~8 MB live after boot, plus the young generation. */
    static final long HEAP_BASE = 32L << 20;

    private static final Pattern OPEN_FILES = Pattern.compile("^Max open files\\s+(\\S+)\\s+(\\S+)", Pattern.MULTILINE);
    private static final Pattern XMX = Pattern.compile("-Xmx(\\d+)([kKmMgG]?)");

    private Capacity() {
    }

    /** Every warning for this configuration on this machine (empty when all fits). */
    static List<String> warnings(SupervisorConfig config) {
        List<String> w = new ArrayList<>();
        openFiles(config.workers(), config.worker().maxConnections(), openFileLimit().orElse(-1),
                sysctl("fs/file-max").orElse(-1)).ifPresent(w::add);
        backlog(config.worker().backlog(), sysctl("net/core/somaxconn").orElse(-1),
                sysctl("net/ipv4/tcp_max_syn_backlog").orElse(-1)).ifPresent(w::add);
        List<String> jvm = new ArrayList<>(ProcessLauncher.DEFAULT_JVM_OPTIONS);
        jvm.addAll(config.workerJvmOptions());
        heap(config.worker().maxConnections(), maxHeap(jvm)).ifPresent(w::add);
        return w;
    }

    /**
     * A worker holds up to FORKLINE_MAX_CONNECTIONS connections (line and HTTP together), one file
     * each, under the per-process limit it inherits from the supervisor (RLIMIT_NOFILE); all workers
     * together count against fs.file-max. -1: unknown, not checked.
     */
    static java.util.Optional<String> openFiles(int workers, int maxConnections, long perProcess, long systemWide) {
        long perWorker = maxConnections + FILES_BESIDES_CONNECTIONS;
        if (perProcess >= 0 && perWorker > perProcess) {
            return java.util.Optional.of(String.format(Locale.ROOT, "FORKLINE_MAX_CONNECTIONS=%d needs about %d open files"
                    + " per worker, but the limit is %d: a worker will fail to accept beyond ~%d connections"
                    + " (raise it: ulimit -n, LimitNOFILE= in systemd, ulimits.nofile in Compose;"
                    + " or set FORKLINE_MAX_CONNECTIONS to at most %d)", maxConnections, perWorker, perProcess,
                    Math.max(0, perProcess - FILES_BESIDES_CONNECTIONS), Math.max(1, perProcess - FILES_BESIDES_CONNECTIONS)));
        }
        if (systemWide >= 0 && workers * perWorker > systemWide) {
            return java.util.Optional.of(String.format(Locale.ROOT, "FORKLINE_WORKERS=%d x FORKLINE_MAX_CONNECTIONS=%d needs"
                    + " about %d open files, above the system's fs.file-max=%d (sysctl -w fs.file-max=...)",
                    workers, maxConnections, workers * perWorker, systemWide));
        }
        return java.util.Optional.empty();
    }

    /**
     * listen(2): "If the backlog argument is greater than the value in
     * /proc/sys/net/core/somaxconn, then it is silently truncated to that value"; half-open
     * connections wait in the SYN queue, bounded by net.ipv4.tcp_max_syn_backlog (tcp(7)).
     */
    static java.util.Optional<String> backlog(int backlog, long somaxconn, long synBacklog) {
        List<String> caps = new ArrayList<>();
        if (somaxconn >= 0 && backlog > somaxconn) {
            caps.add("net.core.somaxconn=" + somaxconn + " caps each worker's accept queue at " + somaxconn);
        }
        if (synBacklog >= 0 && backlog > synBacklog) {
            caps.add("net.ipv4.tcp_max_syn_backlog=" + synBacklog + " caps the queue of half-open connections");
        }
        if (caps.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("FORKLINE_BACKLOG=" + backlog + " but " + String.join(" and ", caps)
                + ": a connection storm overflows it and clients wait for SYN retries (raise them: sysctl -w"
                + " net.core.somaxconn=" + backlog + " net.ipv4.tcp_max_syn_backlog=" + backlog
                + ", see deploy/90-forkline.conf; or lower FORKLINE_BACKLOG)");
    }

    /** The worker heap (-Xmx, the last one wins) must hold FORKLINE_MAX_CONNECTIONS idle connections. */
    static java.util.Optional<String> heap(int maxConnections, OptionalLong maxHeap) {
        if (maxHeap.isEmpty()) {
            return java.util.Optional.empty();
        }
        long need = HEAP_BASE + maxConnections * HEAP_PER_CONNECTION;
        if (need <= maxHeap.getAsLong()) {
            return java.util.Optional.empty();
        }
        long fits = Math.max(0, (maxHeap.getAsLong() - HEAP_BASE) / HEAP_PER_CONNECTION);
        return java.util.Optional.of(String.format(Locale.ROOT, "FORKLINE_MAX_CONNECTIONS=%d needs a worker heap of about"
                + " %d MB, but workers run with -Xmx%dm: a full worker runs out of memory and is respawned, losing"
                + " its connections (set FORKLINE_WORKER_JVM_OPTS=-Xmx%dm, or FORKLINE_MAX_CONNECTIONS to at most %d)",
                maxConnections, (need >> 20) + 1, maxHeap.getAsLong() >> 20, (need >> 20) + 1, fits));
    }

    /** The last -Xmx of the worker's options, in bytes. */
    static OptionalLong maxHeap(List<String> jvmOptions) {
        OptionalLong last = OptionalLong.empty();
        for (String o : jvmOptions) {
            Matcher m = XMX.matcher(o);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                last = OptionalLong.of(switch (m.group(2).toLowerCase(Locale.ROOT)) {
                    case "k" -> n << 10;
                    case "m" -> n << 20;
                    case "g" -> n << 30;
                    default -> n;
                });
            }
        }
        return last;
    }

    /** The soft RLIMIT_NOFILE of this process (the JVM raises it to the hard limit at start), which workers inherit. */
    static OptionalLong openFileLimit() {
        try {
            Matcher m = OPEN_FILES.matcher(readProc(Path.of("/proc/self/limits")));
            if (m.find() && !m.group(1).equals("unlimited")) {
                return OptionalLong.of(Long.parseLong(m.group(1)));
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or no /proc: not checked
        }
        return OptionalLong.empty();
    }

    /**
     * A /proc file, read to its end. Not {@code Files.readString}: it sizes its read by the file's
     * size, which /proc reports as 0, and returns the first byte only ("2" for fs.file-max 2466174;
     * seen on JDK 17 and 25).
     */
    static String readProc(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    private static OptionalLong sysctl(String name) {
        try {
            return OptionalLong.of(Long.parseLong(readProc(Path.of("/proc/sys", name)).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
