package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.config.WorkerConfig;
import dev.forkline.logging.Logs;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Everything the supervisor reads at start, validated before any worker is spawned. */
record SupervisorConfig(
        int workers,
        Duration shutdownTimeout,
        Duration workerTimeout,
        Duration bootTimeout,
        Duration minUptime,
        List<String> workerJvmOptions,
        Logs.LogLevel logLevel,
        AdminConfig admin,
        WorkerConfig worker) {

    static final int MAX_WORKERS = 1024;

    static SupervisorConfig from(Map<String, String> values) {
        return new SupervisorConfig(
                workers(values),
                Setting.SHUTDOWN_TIMEOUT.duration(values, Duration.ZERO, Duration.ofHours(1)),
                Setting.WORKER_TIMEOUT.duration(values, Duration.ofMillis(100), Duration.ofHours(1)),
                Setting.BOOT_TIMEOUT.duration(values, Duration.ofMillis(100), Duration.ofHours(1)),
                Setting.MIN_UPTIME.duration(values, Duration.ZERO, Duration.ofHours(1)),
                jvmOptions(values),
                Setting.LOG_LEVEL.oneOf(values, Logs.LogLevel.class),
                AdminConfig.from(values),
                WorkerConfig.from(values));
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
