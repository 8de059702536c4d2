package dev.forkline.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.function.Predicate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The real {@code forkline.jar}, started as users start it ({@code java -jar}), observed only from
 * outside: its log on stderr (JSON events, {@link LogEvent}), its child processes, the sockets the
 * OS shows, the protocol, the admin API. {@link #close()} ends only the processes this fixture
 * started, by PID.
 */
public final class ForklineProcess implements AutoCloseable {
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    public final Process process;
    public final int port;
    public final int adminPort;
    public final int httpPort;
    private final List<String> log = new ArrayList<>();
    /** The log reached its end: the supervisor and every process that shared its stderr are gone. */
    private boolean logEnded;
    /** Every worker seen, as handles: a handle knows its start time, so it never kills a reused PID. */
    private final Set<ProcessHandle> seenDescendants = new HashSet<>();

    private ForklineProcess(Process process, int port, int adminPort, int httpPort) {
        this.process = process;
        this.port = port;
        this.adminPort = adminPort;
        this.httpPort = httpPort;
        Thread t = new Thread(this::pumpLog, "forkline-log-" + process.pid());
        t.setDaemon(true);
        t.start();
    }

    public static Path jar() {
        String p = System.getProperty("forkline.jar");
        if (p == null) {
            throw new IllegalStateException("system property forkline.jar is not set (run through Maven failsafe)");
        }
        return Path.of(p);
    }

    /**
     * Starts the jar on free loopback ports, logging JSON events, with {@code settings} added to
     * the environment (they win).
     */
    public static ForklineProcess start(Map<String, String> settings) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FORKLINE_HOST", "127.0.0.1");
        env.put("FORKLINE_PORT", Integer.toString(FreePorts.next()));
        env.put("FORKLINE_ADMIN_PORT", Integer.toString(FreePorts.next()));
        env.put("FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next()));
        env.put("FORKLINE_LOG_FORMAT", "json");
        env.putAll(settings);
        return startExactly(env, List.of());
    }

    /** Starts the jar with exactly these settings (nothing added) and these extra arguments. */
    public static ForklineProcess startExactly(Map<String, String> settings, List<String> args) throws IOException {
        return startExactly(settings, Map.of(), args);
    }

    /**
     * Starts the jar with exactly {@code env} as its FORKLINE_* environment, {@code properties} as
     * system properties ({@code -DNAME=value}, which win over the environment and a FORKLINE_CONFIG
     * file, as in production) and these extra arguments.
     */
    public static ForklineProcess startExactly(Map<String, String> env, Map<String, String> properties, List<String> args)
            throws IOException {
        return startExactly(List.of(), jar(), env, properties, args);
    }

    /**
     * Starts {@code jar} (the built one, or a copy standing for another version) with exactly these
     * settings and arguments, through {@code wrapper} when not empty (a command that execs the rest,
     * e.g. {@code setpriv --reuid=65534 ...} to run it as another user).
     */
    public static ForklineProcess startExactly(List<String> wrapper, Path jar, Map<String, String> settings,
                                               List<String> args) throws IOException {
        return startExactly(wrapper, jar, settings, Map.of(), args);
    }

    private static ForklineProcess startExactly(List<String> wrapper, Path jar, Map<String, String> env,
                                                Map<String, String> properties, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("FORKLINE_"));
        pb.environment().putAll(env);
        Map<String, String> settings = new HashMap<>(env);
        settings.putAll(properties);
        return new ForklineProcess(pb.start(), intOr(settings.get("FORKLINE_PORT"), 3000),
                intOr(settings.get("FORKLINE_ADMIN_PORT"), 9090), intOr(settings.get("FORKLINE_HTTP_PORT"), 8080));
    }

    private static int intOr(String value, int dflt) {
        try {
            return value == null ? dflt : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return -1; // a test of a bad value
        }
    }

    /** What a one-shot command printed and how it exited. */
    public record CommandResult(int exitCode, String stdout, String stderr) {
    }

    /** Runs {@code java -jar forkline.jar args...} with exactly {@code settings} and waits for it. */
    public static CommandResult command(Map<String, String> settings, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("FORKLINE_"));
        pb.environment().putAll(settings);
        Path out = Files.createTempFile("forkline-cmd", ".out");
        Path err = Files.createTempFile("forkline-cmd", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("forkline " + String.join(" ", args) + " did not finish within 60 s");
            }
            return new CommandResult(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a subcommand (status, reload, ...) against this supervisor's admin API. */
    public CommandResult command(String... args) throws Exception {
        return command(Map.of("FORKLINE_ADMIN_PORT", Integer.toString(adminPort)), args);
    }

    /** An HTTP response from the admin API. */
    public record Http(int status, String body) {
    }

    /** Calls the admin API: {@code admin("GET", "/status")}. */
    public Http admin(String method, String path, String... headers) throws Exception {
        return http(adminPort, method, path, headers);
    }

    /**
     * An HTTP request to one of this process's ports on 127.0.0.1 (admin API, HTTP facet, an
     * application's port); {@link UncheckedIOException} when nothing answers.
     */
    public Http http(int port, String method, String path, String... headers) {
        java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest
                .newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .method(method, java.net.http.HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            req.headers(headers);
        }
        try {
            java.net.http.HttpResponse<String> res = java.net.http.HttpClient.newHttpClient()
                    .send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Http(res.statusCode(), res.body());
        } catch (IOException e) {
            throw new UncheckedIOException("nothing answers " + method + " http://127.0.0.1:" + port + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    private void pumpLog() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (log) {
                    log.add(line);
                    log.notifyAll();
                }
            }
        } catch (IOException e) {
            // the process is gone
        } finally {
            synchronized (log) {
                logEnded = true;
                log.notifyAll();
            }
        }
    }

    /** A copy of every log line so far (JSON events, and whatever HotSpot wrote itself). */
    public List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** Where the log is now: pass it to {@link #await(Predicate, int, Duration)} to wait for what comes after. */
    public int mark() {
        synchronized (log) {
            return log.size();
        }
    }

    /** Every event logged so far. */
    public List<LogEvent> events() {
        return log().stream().flatMap(l -> LogEvent.parse(l).stream()).toList();
    }

    /** The events logged so far that match. */
    public List<LogEvent> events(Predicate<LogEvent> matcher) {
        return events().stream().filter(matcher).toList();
    }

    /** Waits (up to a minute) for an event that matches, logged since the start. */
    public LogEvent await(Predicate<LogEvent> matcher) {
        return await(matcher, 0, START_TIMEOUT);
    }

    /** Waits for an event that matches, at line {@code from} ({@link #mark()}) or later. */
    public LogEvent await(Predicate<LogEvent> matcher, int from, Duration timeout) {
        String line = awaitLine(l -> LogEvent.parse(l).filter(matcher).isPresent(), matcher.toString(), from, timeout);
        return LogEvent.parse(line).orElseThrow();
    }

    /** Waits for a raw line containing {@code text}: for what HotSpot writes itself, which is no event. */
    public String awaitLine(String text, int from, Duration timeout) {
        return awaitLine(l -> l.contains(text), "a line containing \"" + text + "\"", from, timeout);
    }

    private String awaitLine(Predicate<String> match, String what, int from, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (log) {
            int i = from;
            while (true) {
                for (; i < log.size(); i++) {
                    if (match.test(log.get(i))) {
                        return log.get(i);
                    }
                }
                long left = deadline - System.nanoTime();
                if (logEnded) { // nothing more can come: say so now, not at the deadline
                    throw new AssertionError("no " + what + " before forkline ended its log; the log was:\n"
                            + String.join("\n", log));
                }
                if (left <= 0) {
                    throw new AssertionError("no " + what + " within " + timeout + "; the log was:\n"
                            + String.join("\n", log));
                }
                try {
                    log.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
        }
    }

    /** Waits for every slot's first worker to be ready and returns slot → pid of the workers that logged ready. */
    public Map<Integer, Long> awaitAllReady() {
        await(LogEventMatcher.event("all_ready"));
        Map<Integer, Long> bySlot = new HashMap<>();
        for (LogEvent e : events(LogEventMatcher.event("worker_ready"))) {
            bySlot.put((int) e.number("slot"), e.number("pid"));
        }
        return bySlot;
    }

    /** Every worker PID the log says was started. */
    public Set<Long> spawnedPids() {
        Set<Long> pids = new HashSet<>();
        for (LogEvent e : events()) {
            if (e.event().equals("worker_spawned") || e.event().equals("worker_respawned")) {
                pids.add(e.number("pid"));
            }
        }
        return pids;
    }

    /** The supervisor's live child processes: the workers. */
    public Set<Long> workerPids() {
        List<ProcessHandle> children = process.toHandle().children().filter(ProcessHandle::isAlive).toList();
        seenDescendants.addAll(children);
        return children.stream().map(ProcessHandle::pid).collect(Collectors.toSet());
    }

    /** Sends a signal by name (TERM, KILL, STOP, HUP, ...) to a process with kill(1). */
    public static void signal(long pid, String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -s " + name + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public void signal(String name) {
        signal(pid(), name);
    }

    /** Waits for the supervisor to exit and returns its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("forkline did not exit within " + timeout + "; the log was:\n"
                    + String.join("\n", log()));
        }
        return process.exitValue();
    }

    /**
     * PIDs of processes that have a listening TCP socket on {@code port}, read from /proc: the
     * inode of each LISTEN entry of /proc/net/tcp{,6}, then which process holds an fd on it.
     */
    public static Map<Long, Integer> listenersOn(int port, Set<Long> candidates) throws IOException {
        Map<Long, Integer> count = new HashMap<>();
        holders(listenInodes(port), candidates).values().forEach(pid -> count.merge(pid, 1, Integer::sum));
        return count;
    }

    /** The inodes of the LISTEN sockets on {@code port}, from /proc/net/tcp and tcp6 (this network namespace). */
    public static Set<String> listenInodes(int port) throws IOException {
        Set<String> inodes = new HashSet<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            List<String> rows = Files.readAllLines(p);
            for (String row : rows.subList(1, rows.size())) {
                String[] f = row.trim().split("\\s+");
                String local = f[1];
                int localPort = Integer.parseInt(local.substring(local.indexOf(':') + 1), 16);
                if (localPort == port && f[3].equals("0A")) { // 0A = TCP_LISTEN
                    inodes.add(f[9]);
                }
            }
        }
        return inodes;
    }

    /** Which of {@code candidates} holds each of the socket {@code inodes} (inode → pid), from /proc/PID/fd. */
    public static Map<String, Long> holders(Set<String> inodes, Set<Long> candidates) {
        Map<String, Long> holders = new HashMap<>();
        for (long pid : candidates) {
            Path fds = Path.of("/proc", Long.toString(pid), "fd");
            try (var list = Files.list(fds)) {
                for (Path fd : (Iterable<Path>) list::iterator) {
                    Optional<String> target = readLink(fd);
                    if (target.isPresent() && target.get().startsWith("socket:[")) {
                        String inode = target.get().substring(8, target.get().length() - 1);
                        if (inodes.contains(inode)) {
                            holders.put(inode, pid);
                        }
                    }
                }
            } catch (IOException e) {
                // process gone: holds nothing
            }
        }
        return holders;
    }

    private static Optional<String> readLink(Path p) {
        try {
            return Optional.of(Files.readSymbolicLink(p).toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether a process has exited: gone, or a zombie waiting for its parent to reap it (an orphaned
     * worker's parent is PID 1, which on some machines reaps only every second or two;
     * {@link ProcessHandle#isAlive()} counts zombies as alive).
     */
    public static boolean exited(ProcessHandle p) {
        if (!p.isAlive()) {
            return true;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true; // gone meanwhile
        }
    }

    /** Resident set size of a process in KiB, from /proc/PID/status (VmRSS). */
    public static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for pid " + pid);
    }

    /** Whether a plain (non-reuse-port) bind of the port succeeds: nothing listens on it. */
    public static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        workerPidsQuietly();
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        for (ProcessHandle worker : seenDescendants) {
            worker.destroyForcibly();
        }
    }

    private void workerPidsQuietly() {
        try {
            process.toHandle().descendants().forEach(seenDescendants::add);
        } catch (RuntimeException e) {
            // best effort
        }
    }
}
