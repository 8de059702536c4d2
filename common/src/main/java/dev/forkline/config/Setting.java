package dev.forkline.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every setting Forkline reads, with its default. Values come from environment variables, an optional
 * file named by FORKLINE_CONFIG and system properties, always under these same names (the
 * supervisor reads them through vertx-config); the typed readers here turn a raw value into a checked one or a
 * {@link ConfigException} naming the variable, the value and what is allowed.
 */
public enum Setting {
    // supervisor
    WORKERS("FORKLINE_WORKERS", "auto"),
    // Above a worker's longest stop at the defaults, so that it is never SIGKILLed: its drain (10 s),
    // then its application's stop (given at least 1 s), then closing Vert.x (up to 1 s), + margin.
    SHUTDOWN_TIMEOUT("FORKLINE_SHUTDOWN_TIMEOUT", "15s"),
    WORKER_TIMEOUT("FORKLINE_WORKER_TIMEOUT", "10s"),
    // Spare workers booted but not listening, promoted when a serving one dies (docs/DESIGN.md).
    STANDBY("FORKLINE_STANDBY", "0"),
    BOOT_TIMEOUT("FORKLINE_BOOT_TIMEOUT", "30s"),
    MIN_UPTIME("FORKLINE_MIN_UPTIME", "5s"),
    WORKER_JVM_OPTS("FORKLINE_WORKER_JVM_OPTS", ""),
    ADMIN_HOST("FORKLINE_ADMIN_HOST", "127.0.0.1"),
    ADMIN_PORT("FORKLINE_ADMIN_PORT", "9090"),
    ADMIN_TOKEN("FORKLINE_ADMIN_TOKEN", ""),
    LOG_LEVEL("FORKLINE_LOG_LEVEL", "info"),
    LOG_FORMAT("FORKLINE_LOG_FORMAT", "text"),
    // worker
    HOST("FORKLINE_HOST", "0.0.0.0"),
    PORT("FORKLINE_PORT", "3000"),
    HTTP_PORT("FORKLINE_HTTP_PORT", "8080"),
    MAX_LINE("FORKLINE_MAX_LINE", "8192"),
    IDLE_TIMEOUT("FORKLINE_IDLE_TIMEOUT", "300s"),
    LINE_TIMEOUT("FORKLINE_LINE_TIMEOUT", "30s"),
    MAX_CONNECTIONS("FORKLINE_MAX_CONNECTIONS", "10000"),
    BACKLOG("FORKLINE_BACKLOG", "4096"),
    DRAIN_TIMEOUT("FORKLINE_DRAIN_TIMEOUT", "10s"),
    HEARTBEAT_INTERVAL("FORKLINE_HEARTBEAT_INTERVAL", "1s"),
    // HTTP servers (the facet and the admin API)
    HTTP2("FORKLINE_HTTP2", "false"),
    HTTP_MAX_REQUEST_LINE("FORKLINE_HTTP_MAX_REQUEST_LINE", "4096"),
    HTTP_MAX_HEADER_SIZE("FORKLINE_HTTP_MAX_HEADER_SIZE", "8192"),
    // the application (unset: the built-in PID server)
    APP("FORKLINE_APP", ""),
    APP_VERTICLE("FORKLINE_APP_VERTICLE", ""),
    APP_CONFIG("FORKLINE_APP_CONFIG", ""),
    APP_CLASSPATH("FORKLINE_APP_CLASSPATH", "");

    /** Not settings but names Forkline itself or its tooling puts in the environment. */
    private static final Set<String> OTHER_KNOWN = Set.of(
            "FORKLINE_CONFIG", "FORKLINE_SLOT", "FORKLINE_GENERATION", "FORKLINE_BASE_IMAGE", "FORKLINE_JAR");

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9}(?:\\.\\d{1,3})?)(ms|s|m|h)?");

    private final String variable;
    private final String defaultValue;

    Setting(String variable, String defaultValue) {
        this.variable = variable;
        this.defaultValue = defaultValue;
    }

    public String variable() {
        return variable;
    }

    public String defaultValue() {
        return defaultValue;
    }

    /** The raw value, or the default when the setting is absent. Surrounding blanks are ignored. */
    public String raw(Map<String, String> values) {
        String v = values.get(variable);
        return v == null ? defaultValue : v.strip();
    }

    public int intIn(Map<String, String> values, int min, int max) {
        String v = raw(values);
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(variable, v, "an integer from " + min + " to " + max);
    }

    /**
     * A duration: a number of seconds ({@code 30}, {@code 0.5}) or a number with a unit
     * ({@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}), from {@code min} to {@code max}.
     */
    public Duration duration(Map<String, String> values, Duration min, Duration max) {
        String v = raw(values);
        Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            double n = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            long millis = Math.round(switch (unit) {
                case "ms" -> n;
                case "m" -> n * 60_000;
                case "h" -> n * 3_600_000;
                default -> n * 1000;
            });
            Duration d = Duration.ofMillis(millis);
            if (d.compareTo(min) >= 0 && d.compareTo(max) <= 0) {
                return d;
            }
        }
        throw new ConfigException(variable, v, "a duration from " + format(min) + " to " + format(max)
                + " (seconds, or with a unit: 500ms, 30s, 5m, 1h)");
    }

    /** {@code true} or {@code false}, in any case. */
    public boolean flag(Map<String, String> values) {
        String v = raw(values);
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v.toLowerCase(Locale.ROOT));
        }
        throw new ConfigException(variable, v, "true or false");
    }

    public <E extends Enum<E>> E oneOf(Map<String, String> values, Class<E> type) {
        String v = raw(values);
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        throw new ConfigException(variable, v, "one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }

    /** A non-empty value without control characters (host names, addresses). */
    public String word(Map<String, String> values, String allowed) {
        String v = raw(values);
        if (v.isEmpty() || v.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new ConfigException(variable, v, allowed);
        }
        return v;
    }

    /** Formats a duration the way a value of this setting would be written. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms >= 3_600_000) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms >= 60_000) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    public static Optional<Setting> byVariable(String variable) {
        for (Setting s : values()) {
            if (s.variable.equals(variable)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** Whether a FORKLINE_* name is one we know (a setting or a name Forkline itself uses). */
    public static boolean isKnown(String variable) {
        return byVariable(variable).isPresent() || OTHER_KNOWN.contains(variable);
    }

    /** Keeps the FORKLINE_* entries of a map of settings (a JSON object's, or an environment). */
    public static Map<String, String> forklineOnly(Map<String, ?> entries) {
        Map<String, String> values = new TreeMap<>();
        entries.forEach((k, v) -> {
            if (k.startsWith("FORKLINE_") && v != null) {
                values.put(k, String.valueOf(v));
            }
        });
        return values;
    }
}
