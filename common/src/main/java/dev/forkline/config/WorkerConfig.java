package dev.forkline.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a worker needs to serve. The supervisor validates it before it starts any worker and hands it
 * to every worker through the environment ({@link #toEnvironment()}), so a worker reads exactly what
 * the supervisor read, whatever mix of file, environment and system properties it came from.
 */
public record WorkerConfig(
        String host,
        int port,
        int httpPort,
        int maxLine,
        Duration idleTimeout,
        Duration lineTimeout,
        int maxConnections,
        Duration drainTimeout,
        Duration heartbeatInterval,
        HttpLimits http,
        int backlog) {

    /**
     * The HTTP servers' settings (the facet's and the admin API's): HTTP/2 cleartext, the longest
     * request-line (longer: 414) and the most header bytes (more: 431).
     */
    public record HttpLimits(boolean http2, int maxRequestLine, int maxHeaderSize) {
        public static HttpLimits from(Map<String, String> values) {
            return new HttpLimits(Setting.HTTP2.flag(values),
                    Setting.HTTP_MAX_REQUEST_LINE.intIn(values, 64, 1024 * 1024),
                    Setting.HTTP_MAX_HEADER_SIZE.intIn(values, 256, 1024 * 1024));
        }
    }

    public static WorkerConfig from(Map<String, String> values) {
        return new WorkerConfig(
                Setting.HOST.word(values, "an IP address or a host name"),
                Setting.PORT.intIn(values, 1, 65535),
                httpPort(values),
                Setting.MAX_LINE.intIn(values, 16, 16 * 1024 * 1024),
                Setting.IDLE_TIMEOUT.duration(values, Duration.ofMillis(100), Duration.ofDays(1)),
                Setting.LINE_TIMEOUT.duration(values, Duration.ofMillis(100), Duration.ofDays(1)),
                Setting.MAX_CONNECTIONS.intIn(values, 1, 1_000_000),
                Setting.DRAIN_TIMEOUT.duration(values, Duration.ZERO, Duration.ofHours(1)),
                Setting.HEARTBEAT_INTERVAL.duration(values, Duration.ofMillis(50), Duration.ofMinutes(1)),
                HttpLimits.from(values),
                // listen(2)'s backlog; the kernel silently caps it at net.core.somaxconn (the supervisor warns).
                Setting.BACKLOG.intIn(values, 1, 1 << 20));

    }

    /** 0 turns the HTTP facet off; it cannot share the line protocol's port. */
    private static int httpPort(Map<String, String> values) {
        int http = Setting.HTTP_PORT.intIn(values, 0, 65535);
        if (http != 0 && http == Setting.PORT.intIn(values, 1, 65535)) {
            throw new ConfigException(Setting.HTTP_PORT.variable(), Integer.toString(http),
                    "0 (off) or a port other than FORKLINE_PORT's");
        }
        return http;
    }

    /** The settings as environment variables, to start a worker with. */
    public Map<String, String> toEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put(Setting.HOST.variable(), host);
        env.put(Setting.PORT.variable(), Integer.toString(port));
        env.put(Setting.HTTP_PORT.variable(), Integer.toString(httpPort));
        env.put(Setting.MAX_LINE.variable(), Integer.toString(maxLine));
        env.put(Setting.IDLE_TIMEOUT.variable(), Setting.format(idleTimeout));
        env.put(Setting.LINE_TIMEOUT.variable(), Setting.format(lineTimeout));
        env.put(Setting.MAX_CONNECTIONS.variable(), Integer.toString(maxConnections));
        env.put(Setting.DRAIN_TIMEOUT.variable(), Setting.format(drainTimeout));
        env.put(Setting.HEARTBEAT_INTERVAL.variable(), Setting.format(heartbeatInterval));
        env.put(Setting.HTTP2.variable(), Boolean.toString(http.http2()));
        env.put(Setting.HTTP_MAX_REQUEST_LINE.variable(), Integer.toString(http.maxRequestLine()));
        env.put(Setting.HTTP_MAX_HEADER_SIZE.variable(), Integer.toString(http.maxHeaderSize()));
        env.put(Setting.BACKLOG.variable(), Integer.toString(backlog));
        return env;
    }
}
