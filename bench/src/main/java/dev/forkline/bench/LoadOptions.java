package dev.forkline.bench;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/** What a load run does; parsed from {@code greet|req [--option value]...}. */
record LoadOptions(
        Mode mode,
        String host,
        int port,
        int connections,
        int threads,
        Duration duration,
        Duration warmup,
        int depth,
        String request,
        boolean greeting,
        boolean json,
        List<String> sources,
        int sample,
        Duration pingInterval,
        int maxPending,
        boolean control) {

    enum Mode { GREET, REQ, HOLD }

    static final String USAGE = """
            usage: java -jar forkline-bench.jar greet|req|hold [options]

              greet   connect, read the greeting line, close, again: connections per second
              req     persistent connections with --depth request lines in flight: requests per second
              hold    open --connections and keep them idle after the greeting, while a sample of them
                      sends PING every --ping-interval: latency under a crowd of idle connections

              --host H          default 127.0.0.1
              --port P          default 3000
              --connections N   concurrent connections (default 64)
              --threads N       client event loops (default: available processors)
              --duration D      measured time, e.g. 10s (default 10s)
              --warmup D        unmeasured time first (default 3s)
              --depth N         req: lines in flight per connection (default 1)
              --request LINE    req: the request line (default PING)
              --no-greeting     req: the server sends no greeting (memcached)
              --json            print the summary as one JSON object
              --source A[,B..]  hold: local addresses to connect from, round robin (each 127.x address has
                                its own ~28k ephemeral ports), default: the kernel's choice
              --sample N        hold: connections of the held ones that PING (default 1000; the first opened)
              --ping-interval D hold: time between two PINGs of one sample connection (default 100ms)
              --max-pending N   hold: connects in flight at once (default 512)
              --control         hold: read commands from stdin instead of holding for --duration:
                                  hold N      open connections until N are greeted, then print a JSON line
                                  sample D    PING for D on the sample, then print a JSON line (histogram)
                                  reconnect on|off   reopen connections the server closes (default off)
                                  stats       print a JSON line of the counters
                                  quit        close every connection and exit
              --http            hold: greet with an HTTP/1.1 keep-alive request (nginx) instead of
                                reading a greeting line; the sample sends GET / instead of PING
            """;

    static LoadOptions parse(List<String> args) {
        Deque<String> a = new ArrayDeque<>(args);
        if (a.isEmpty()) {
            throw new IllegalArgumentException("greet or req?");
        }
        Mode mode = switch (a.pop()) {
            case "greet" -> Mode.GREET;
            case "req" -> Mode.REQ;
            case "hold" -> Mode.HOLD;
            default -> throw new IllegalArgumentException("the first argument is greet, req or hold");
        };
        String host = "127.0.0.1";
        int port = 3000;
        int connections = 64;
        int threads = Runtime.getRuntime().availableProcessors();
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ofSeconds(3);
        int depth = 1;
        String request = "PING";
        boolean greeting = true;
        boolean json = false;
        List<String> sources = List.of();
        int sample = 1000;
        Duration pingInterval = Duration.ofMillis(100);
        int maxPending = 512;
        boolean control = false;
        while (!a.isEmpty()) {
            String opt = a.pop();
            switch (opt) {
                case "--host" -> host = value(a, opt);
                case "--port" -> port = positive(a, opt);
                case "--connections" -> connections = positive(a, opt);
                case "--threads" -> threads = positive(a, opt);
                case "--duration" -> duration = duration(value(a, opt));
                case "--warmup" -> warmup = duration(value(a, opt));
                case "--depth" -> depth = positive(a, opt);
                case "--request" -> request = value(a, opt);
                case "--no-greeting" -> greeting = false;
                case "--json" -> json = true;
                case "--source" -> sources = List.of(value(a, opt).split(","));
                case "--sample" -> sample = nonNegative(a, opt);
                case "--ping-interval" -> pingInterval = duration(value(a, opt));
                case "--max-pending" -> maxPending = positive(a, opt);
                case "--control" -> control = true;
                case "--http" -> request = HTTP_REQUEST;
                default -> throw new IllegalArgumentException("unknown option " + opt);
            }
        }
        if (mode == Mode.GREET && !greeting) {
            throw new IllegalArgumentException("greet needs a greeting");
        }
        if (control && mode != Mode.HOLD) {
            throw new IllegalArgumentException("--control is for hold");
        }
        return new LoadOptions(mode, host, port, connections, threads, duration, warmup, depth, request, greeting, json,
                sources, sample, pingInterval, maxPending, control);
    }

    /** hold --http: the request a keep-alive HTTP connection sends first and on every sample PING. */
    static final String HTTP_REQUEST = "GET / HTTP/1.1\r\nHost: bench";

    boolean http() {
        return request.equals(HTTP_REQUEST);
    }

    private static int nonNegative(Deque<String> a, String opt) {
        String v = value(a, opt);
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(opt + " needs an integer >= 0, not " + v);
    }

    private static String value(Deque<String> a, String opt) {
        if (a.isEmpty()) {
            throw new IllegalArgumentException(opt + " needs a value");
        }
        return a.pop();
    }

    private static int positive(Deque<String> a, String opt) {
        String v = value(a, opt);
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(opt + " needs a positive integer, not " + v);
    }

    static Duration duration(String v) {
        String s = v.toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            }
            if (s.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)) * 60);
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: " + v + " (e.g. 10s, 500ms, 1m)");
        }
    }
}
