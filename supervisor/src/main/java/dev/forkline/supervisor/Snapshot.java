package dev.forkline.supervisor;

import dev.forkline.protocol.WorkerStats;
import java.util.List;
import java.util.Map;

/**
 * What the supervisor's loop knows, frozen after each turn of the loop and published for the admin
 * API, which never touches the loop's own state.
 *
 * @param state {@code running}, {@code reloading} or {@code stopping}
 * @param workers every live worker: serving ones, ones starting for a reload, ones draining
 * @param restartsByReason respawns since start by cause (crash, signal, hung, boot_timeout, out_of_memory, exit)
 * @param exited counters of workers that have exited (their last heartbeat), so totals never go back
 * @param reload how far the reload under way is; null when none is
 * @param events the supervisor's recent events, oldest first ({@link Timeline})
 */
record Snapshot(
        long pid,
        long startedEpochMillis,
        long uptimeMillis,
        String state,
        int generation,
        int desiredWorkers,
        List<Worker> workers,
        List<String> notReady,
        Map<String, Long> restartsByReason,
        long reloads,
        Totals exited,
        String listen,
        ReloadProgress reload,
        List<Timeline.Entry> events) {

    /** A reload under way: {@code done} of {@code slots} slots run {@code generation} (the views: "reloading 2/4"). */
    record ReloadProgress(int generation, int done, int slots) {
    }

    /** One worker as the admin API shows it. */
    record Worker(
            int slot,
            long pid,
            int generation,
            String state,
            /** serving: holds its slot; incoming: the next generation, not yet ready; retiring: draining away */
            String role,
            long startedEpochMillis,
            int restarts,
            String lastExit,
            /** -1 before the first heartbeat */
            long heartbeatAgeMillis,
            WorkerStats stats,
            Rates rates) {
    }

    /** Counters summed over workers. */
    record Totals(long accepted, long requests, long bytesIn, long bytesOut, long httpRequests) {
        static final Totals ZERO = new Totals(0, 0, 0, 0, 0);

        Totals plus(WorkerStats s) {
            return s == null ? this : new Totals(accepted + s.accepted(), requests + s.requests(),
                    bytesIn + s.bytesIn(), bytesOut + s.bytesOut(), httpRequests + s.httpRequests());
        }
    }

    /** Ready: every slot has a ready worker (Kubernetes readiness, /healthz). */
    boolean ready() {
        return notReady.isEmpty() && !state.equals("stopping");
    }

    /** Counters of live and exited workers together: monotonic across restarts. */
    Totals totals() {
        Totals t = exited;
        for (Worker w : workers) {
            t = t.plus(w.stats());
        }
        return t;
    }

    long openConnections() {
        return workers.stream().mapToLong(w -> w.stats() == null ? 0 : w.stats().connections()).sum();
    }
}
