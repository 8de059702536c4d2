package dev.forkline.bench;

import dev.forkline.testkit.ForklineProcess;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How long the port is short of a listener after a serving worker is SIGKILLed, as the kernel reports
 * it: {@code java -cp forkline-bench.jar dev.forkline.bench.Recovery --port P --admin-port A --kills K}.
 * Run by bench/standby.sh against a running Forkline.
 *
 * <p>Each kill: wait until the supervisor reports every slot ready (and every standby booted, so that
 * the previous kill's replacement no longer competes for the CPU), then a quiet pause; take the
 * listening sockets on the port from /proc/net/tcp and tcp6 (their inodes) and which worker holds each
 * (its /proc/PID/fd); SIGKILL one holder (each in turn); then read /proc/net/tcp{,6} in a loop until
 * the port has as many LISTEN sockets as before again, none of them the killed worker's. The figure is
 * the time from just before kill(2) to that read ({@code millis}); also when the killed worker's
 * sockets left the table ({@code teardown_millis}: the kernel tears the process down first) and the
 * time between the two ({@code gap_millis}: how long the port really had a listener less).
 * Bounded: at most {@code --timeout-s} per kill.
 *
 * <p>Prints one line per kill and a summary line, both JSON, on stdout.
 */
public final class Recovery {
    private static final String USAGE = "usage: Recovery --port P --admin-port A --kills K [--label L]"
            + " [--settle-ms 1000] [--timeout-s 30]\n";

    private final int port;
    private final int adminPort;
    private final int kills;
    private final String label;
    private final Duration settle;
    private final Duration timeout;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Recovery(Map<String, String> o) {
        this.port = Integer.parseInt(required(o, "port"));
        this.adminPort = Integer.parseInt(required(o, "admin-port"));
        this.kills = Integer.parseInt(required(o, "kills"));
        this.label = o.getOrDefault("label", "forkline");
        this.settle = Duration.ofMillis(Long.parseLong(o.getOrDefault("settle-ms", "1000")));
        this.timeout = Duration.ofSeconds(Long.parseLong(o.getOrDefault("timeout-s", "30")));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                usage("unexpected " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        if (args.length % 2 != 0) {
            usage("an option without a value");
        }
        Recovery r;
        try {
            r = new Recovery(options);
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        }
        System.exit(r.run());
    }

    private static void usage(String why) {
        System.err.print("Recovery: " + why + "\n" + USAGE);
        System.exit(2);
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    private int run() throws Exception {
        List<Double> millis = new ArrayList<>();
        long victim = -1;
        for (int i = 0; i < kills; i++) {
            long supervisor = awaitSettled(victim);
            Map<String, Long> holders = listeners(supervisor);
            int before = holders.size();
            List<Long> workers = holders.values().stream().distinct().sorted().toList();
            if (workers.isEmpty()) {
                System.err.println("Recovery: nothing listens on port " + port);
                return 1;
            }
            victim = workers.get(i % workers.size());
            long killed = victim;
            Set<String> victimSockets = new HashSet<>();
            holders.forEach((inode, pid) -> {
                if (pid == killed) {
                    victimSockets.add(inode);
                }
            });
            ProcessHandle handle = ProcessHandle.of(victim).orElseThrow();
            long start = System.nanoTime();
            handle.destroyForcibly(); // SIGKILL
            long deadline = start + timeout.toNanos();
            long back = -1;
            long gone = -1;
            while (System.nanoTime() - deadline < 0) {
                Set<String> now = listenInodes();
                long t = System.nanoTime();
                if (gone < 0 && !now.containsAll(victimSockets)) {
                    gone = t; // the kernel closed the killed worker's listener (process teardown)
                }
                now.removeAll(victimSockets);
                if (now.size() >= before) {
                    back = t;
                    break;
                }
                LockSupport.parkNanos(200_000); // a read of both tables takes about as long
            }
            if (back < 0) {
                System.out.printf(Locale.ROOT, "{\"label\":\"%s\",\"kill\":%d,\"pid\":%d,\"millis\":null}%n", label, i + 1, victim);
                System.err.println("Recovery: the port was not back to " + before + " listeners within " + timeout);
                return 1;
            }
            double ms = (back - start) / 1e6;
            millis.add(ms);
            // gap: how long the port really had a listener less (0: the replacement listened
            // before the dead worker's socket was gone).
            double gap = gone < 0 ? 0 : (back - gone) / 1e6;
            System.out.printf(Locale.ROOT, "{\"label\":\"%s\",\"kill\":%d,\"pid\":%d,\"listeners\":%d,\"millis\":%.2f,"
                    + "\"teardown_millis\":%.2f,\"gap_millis\":%.2f}%n",
                    label, i + 1, victim, before, ms, gone < 0 ? ms : (gone - start) / 1e6, gap);
        }
        List<Double> sorted = millis.stream().sorted().toList();
        System.out.printf(Locale.ROOT, "{\"label\":\"%s\",\"kills\":%d,\"median\":%.2f,\"p90\":%.2f,\"min\":%.2f,\"max\":%.2f}%n",
                label, sorted.size(), quantile(sorted, 0.5), quantile(sorted, 0.9), sorted.get(0), sorted.get(sorted.size() - 1));
        return 0;
    }

    /** The nearest-rank quantile of sorted values. */
    static double quantile(List<Double> sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /**
     * Waits until the supervisor says every slot is ready and as many standbys as it wants have
     * booted, and no longer lists the last worker killed (its status is published after each turn
     * of its loop: until the turn that handled the exit is over, it still shows the state before),
     * then {@code --settle-ms} more: the machine is quiet again when the next kill comes.
     */
    private long awaitSettled(long killed) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            JsonObject s = status();
            if (s != null && s.getBoolean("ready", false) && s.getJsonArray("workers").stream()
                    .map(JsonObject.class::cast).noneMatch(w -> w.getLong("pid") == killed)) {
                int wanted = s.getInteger("standby_desired", 0);
                long booted = s.getJsonArray("workers").stream().map(JsonObject.class::cast)
                        .filter(w -> "standby".equals(w.getString("role")) && "booted".equals(w.getString("state"))).count();
                long draining = s.getJsonArray("workers").stream().map(JsonObject.class::cast)
                        .filter(w -> "retiring".equals(w.getString("role"))).count();
                if (booted >= wanted && draining == 0) {
                    Thread.sleep(settle.toMillis());
                    return s.getLong("pid");
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the supervisor on admin port " + adminPort + " did not settle within 120 s");
            }
            Thread.sleep(50);
        }
    }

    private JsonObject status() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/status"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? new JsonObject(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private Set<String> listenInodes() throws IOException {
        return ForklineProcess.listenInodes(port);
    }

    /** Listening socket inode → the worker (a child of the supervisor) that holds it. */
    private Map<String, Long> listeners(long supervisor) throws IOException {
        Set<Long> workers = new HashSet<>();
        ProcessHandle.of(supervisor).ifPresent(p -> p.children().forEach(c -> workers.add(c.pid())));
        return ForklineProcess.holders(listenInodes(), workers);
    }
}
