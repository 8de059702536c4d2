package dev.forkline.supervisor;

import dev.forkline.protocol.WorkerStats;

/**
 * A worker's rates between its last two heartbeats, over the worker's own clock (the uptime each
 * heartbeat carries), so a heartbeat that arrives late or two that arrive in one poll do not bend
 * them. Computed once per heartbeat by the supervisor, so every view (top, the dashboard, /status)
 * shows the same figures.
 *
 * <p>Each rate is -1 when unknown: before a second heartbeat, when a figure is unknown in either
 * heartbeat, or when a counter went backwards (a figure from a worker is never trusted to be sane:
 * odd values make a rate unknown, never an exception or a negative speed).
 *
 * @param requestsPerSecond line requests and HTTP requests together
 * @param cpuPercent CPU time over wall time, 100 = one core busy
 */
record Rates(double acceptsPerSecond, double requestsPerSecond, double bytesInPerSecond, double bytesOutPerSecond,
             double gcPerSecond, double cpuPercent) {

    static final Rates UNKNOWN = new Rates(-1, -1, -1, -1, -1, -1);

    /**
     * The rates from {@code before} to {@code after}; {@code previous} when the two heartbeats carry
     * the same time (nothing new to say), UNKNOWN when there is no usable {@code before}.
     */
    static Rates between(WorkerStats before, WorkerStats after, Rates previous) {
        if (before == null || after == null || before.pid() != after.pid()) {
            return UNKNOWN;
        }
        long millis = after.uptimeMillis() - before.uptimeMillis();
        if (millis == 0) {
            return previous == null ? UNKNOWN : previous;
        }
        if (millis < 0) {
            return UNKNOWN;
        }
        double seconds = millis / 1000.0;
        WorkerStats.Jvm a = before.jvm();
        WorkerStats.Jvm b = after.jvm();
        return new Rates(
                perSecond(before.accepted(), after.accepted(), seconds),
                perSecond(before.requests() + before.httpRequests(), after.requests() + after.httpRequests(), seconds),
                perSecond(before.bytesIn(), after.bytesIn(), seconds),
                perSecond(before.bytesOut(), after.bytesOut(), seconds),
                perSecond(a.gcCount(), b.gcCount(), seconds),
                a.cpuMillis() < 0 || b.cpuMillis() < 0 || b.cpuMillis() < a.cpuMillis()
                        ? -1 : (b.cpuMillis() - a.cpuMillis()) * 100.0 / millis);
    }

    private static double perSecond(long before, long after, double seconds) {
        if (before < 0 || after < before) {
            return -1;
        }
        return (after - before) / seconds;
    }
}
