package dev.forkline.supervisor;

import dev.forkline.app.AppSpec;
import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.config.WorkerConfig;
import dev.forkline.logging.Logs;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Everything the supervisor reads at start, validated before any worker is spawned. */
record SupervisorConfig(
        int workers,
        /** Warm standbys: workers booted but not listening, promoted when a serving worker dies. */
        int standby,
        Duration shutdownTimeout,
        Duration workerTimeout,
        Duration bootTimeout,
        Duration minUptime,
        List<String> workerJvmOptions,
        Logs.LogLevel logLevel,
        Logs.LogFormat logFormat,
        AdminConfig admin,
        WorkerConfig worker,
        /** The user's application; empty for the built-in PID server. */
        Optional<AppSpec> app) {

    static final int MAX_WORKERS = 1024;
    static final int MAX_STANDBY = 64;

    static SupervisorConfig from(Map<String, String> values) {
        SupervisorConfig config = new SupervisorConfig(
                workers(values),
                // A standby is a whole worker JVM (~41 MB PSS): a small flat cap, whatever FORKLINE_WORKERS is.
                Setting.STANDBY.intIn(values, 0, MAX_STANDBY),
                Setting.SHUTDOWN_TIMEOUT.duration(values, Duration.ZERO, Duration.ofHours(1)),
                // The loop ticks every 100 ms and a heartbeat may wait a tick to be read: a shorter
                // timeout could not tell a hung worker from the supervisor's own latency.
                Setting.WORKER_TIMEOUT.duration(values, Duration.ofSeconds(1), Duration.ofHours(1)),
                Setting.BOOT_TIMEOUT.duration(values, Duration.ofMillis(100), Duration.ofHours(1)),
                Setting.MIN_UPTIME.duration(values, Duration.ZERO, Duration.ofHours(1)),
                jvmOptions(values),
                Setting.LOG_LEVEL.oneOf(values, Logs.LogLevel.class),
                Setting.LOG_FORMAT.oneOf(values, Logs.LogFormat.class),
                AdminConfig.from(values),
                WorkerConfig.from(values),
                app(values));
        int admin = config.admin().port();
        // The built-in server's ports; an application's are its own (and unknown before it runs).
        if (config.app().isEmpty() && admin != 0
                && (admin == config.worker().port() || admin == config.worker().httpPort())) {
            throw new ConfigException(Setting.ADMIN_PORT.variable(), Integer.toString(admin),
                    "0 (off) or a port other than FORKLINE_PORT's and FORKLINE_HTTP_PORT's");
        }
        try {
            java.net.InetAddress.getByName(config.worker().host());
        } catch (java.net.UnknownHostException e) {
            throw new ConfigException(Setting.HOST.variable(), config.worker().host(),
                    "an IP address of this machine (0.0.0.0 for all of them) or a resolvable host name");
        }
        Duration interval = config.worker().heartbeatInterval();
        if (interval.multipliedBy(2).compareTo(config.workerTimeout()) > 0) {
            // One late heartbeat (a GC pause, a busy moment) must not make a worker look hung.
            throw new ConfigException(Setting.HEARTBEAT_INTERVAL.variable(), Setting.format(interval),
                    "at most half of FORKLINE_WORKER_TIMEOUT (" + Setting.format(config.workerTimeout())
                            + "), so that one late heartbeat does not make a worker look hung");
        }
        return config;
    }

    /** The application the settings name, fully checked: the jar and class ({@link AppSpec}) and the JSON of its config. */
    static Optional<AppSpec> app(Map<String, String> values) {
        Optional<AppSpec> app = AppSpec.from(values);
        app.flatMap(AppSpec::config).ifPresent(file -> {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ConfigException(Setting.APP_CONFIG.variable(), Setting.APP_CONFIG.raw(values),
                        "a readable JSON file (the verticle's config()): " + e.getMessage());
            }
            try {
                new JsonObject(text);
            } catch (DecodeException | ClassCastException e) {
                String why = text.strip().startsWith("[") ? "the file holds an array"
                        : e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException j
                                ? j.getOriginalMessage().replaceAll("\\s*\\R\\s*", " ")
                                        + (j.getLocation() != null ? " (line " + j.getLocation().getLineNr()
                                                + ", column " + j.getLocation().getColumnNr() + ")" : "")
                                : e.getMessage();
                throw new ConfigException(Setting.APP_CONFIG.variable(), Setting.APP_CONFIG.raw(values),
                        "a JSON object {...}, the verticle's config(): " + why);
            }
        });
        return app;
    }

    /** {@code auto} is one worker per available processor (cgroup limits included), as nginx's {@code worker_processes auto}. */
    private static int workers(Map<String, String> values) {
        String v = Setting.WORKERS.raw(values);
        if (v.equalsIgnoreCase("auto")) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= MAX_WORKERS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(Setting.WORKERS.variable(), v, "auto or an integer from 1 to " + MAX_WORKERS);
    }

    private static List<String> jvmOptions(Map<String, String> values) {
        String v = Setting.WORKER_JVM_OPTS.raw(values);
        if (v.isEmpty()) {
            return List.of();
        }
        List<String> opts = Arrays.asList(v.split("\\s+"));
        for (String o : opts) {
            if (!o.startsWith("-")) {
                throw new ConfigException(Setting.WORKER_JVM_OPTS.variable(), v,
                        "JVM options separated by spaces, each starting with '-' (\"" + o + "\" does not)");
            }
        }
        return List.copyOf(opts);
    }
}
