package dev.forkline.supervisor;

import dev.forkline.protocol.WorkerStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the supervisor's loop knows, frozen after each turn of the loop and published for the admin
 * API, which never touches the loop's own state.
 *
 * @param state the supervisor's {@link Phase}: {@code starting}, {@code running}, {@code reloading}, {@code rolling_back},
 *     {@code stopping} or {@code stopped}
 * @param workers every live worker: serving ones, ones starting for a reload, standbys, ones draining
 * @param desiredStandby FORKLINE_STANDBY of the generation the supervisor runs
 * @param restartsByReason respawns since start by cause (crash, signal, hung, boot_timeout, out_of_memory, exit)
 * @param exited counters of workers that have exited (their last heartbeat), so totals never go back
 * @param reloadingTo the generation a reload under way moves to, 0 when none is
 * @param lastReload how the last reload ended, null before the first
 * @param slotTotals counters by slot over every process that held it, exited or alive: they never
 *     go back when a slot's worker is replaced
 * @param reload how far the reload (or rollback) under way is; null when none is
 * @param events the supervisor's recent events, oldest first ({@link Timeline})
 */
record Snapshot(
        long pid,
        long startedEpochMillis,
        long uptimeMillis,
        String state,
        int generation,
        int desiredWorkers,
        int desiredStandby,
        List<Worker> workers,
        List<String> notReady,
        Map<String, Long> restartsByReason,
        long reloads,
        Totals exited,
        String listen,
        int reloadingTo,
        LastReload lastReload,
        Map<Integer, Totals> slotTotals,
        ReloadProgress reload,
        List<Timeline.Entry> events) {

    /** A reload under way: {@code done} of {@code slots} slots run {@code generation} (the views: "reloading 2/4"). */
    record ReloadProgress(int generation, int done, int slots) {
    }

    /**
     * How the last reload ended, for the status and for {@code forkline reload}'s failure.
     *
     * @param generation the generation it moved (or tried to move) to; 0 when it was refused before
     *     one was made
     * @param outcome {@code completed}, {@code abandoned} (new workers could not start, or a stop) or
     *     {@code refused} (the configuration could not be read, or would move the listener)
     * @param slot the slot whose new worker made it fail (could not boot, failed to start, could not
     *     be spawned); null otherwise
     */
    record LastReload(int generation, String outcome, String reason, Integer slot, long epochMillis) {
    }

    /** One worker as the admin API shows it. */
    record Worker(
            /** {@link Launcher#STANDBY} for a standby (never promoted) */
            int slot,
            long pid,
            int generation,
            String state,
            /**
             * serving: holds its slot; incoming: the next generation, not yet ready; standby: booted, not
             * listening; retiring: draining away
             */
            String role,
            long startedEpochMillis,
            int restarts,
            String lastExit,
            /** -1 before the first heartbeat */
            long heartbeatAgeMillis,
            WorkerStats stats,
            Rates rates) {
    }

    /**
     * Counters summed over workers. The JVM's ({@code gcCount}, {@code gcMillis}, {@code cpuMillis})
     * add what each worker knew; a worker that did not know a figure yet adds nothing.
     */
    record Totals(long accepted, long requests, long bytesIn, long bytesOut, long httpRequests, long resets,
                  long gcCount, long gcMillis, long cpuMillis) {
        Totals plus(Totals o) {
            return new Totals(accepted + o.accepted, requests + o.requests, bytesIn + o.bytesIn,
                    bytesOut + o.bytesOut, httpRequests + o.httpRequests, resets + o.resets,
                    gcCount + o.gcCount, gcMillis + o.gcMillis, cpuMillis + o.cpuMillis);
        }

        /** Every counter at least the other's: what a counter that never goes back shows. */
        boolean atLeast(Totals o) {
            return accepted >= o.accepted && requests >= o.requests && bytesIn >= o.bytesIn
                    && bytesOut >= o.bytesOut && httpRequests >= o.httpRequests && resets >= o.resets
                    && gcCount >= o.gcCount && gcMillis >= o.gcMillis && cpuMillis >= o.cpuMillis;
        }

        static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0);

        Totals plus(WorkerStats s) {
            return s == null ? this : new Totals(accepted + s.accepted(), requests + s.requests(),
                    bytesIn + s.bytesIn(), bytesOut + s.bytesOut(), httpRequests + s.httpRequests(),
                    resets + s.resets(), gcCount + Math.max(0, s.jvm().gcCount()),
                    gcMillis + Math.max(0, s.jvm().gcMillis()), cpuMillis + Math.max(0, s.jvm().cpuMillis()));
        }
    }

    /** Freezes what the supervisor's loop knows; on the loop thread. */
    static Snapshot of(WorkerTable table, Phase phase, Reload reload, RespawnPolicy respawn, Clock clock,
                       long startedNanos, long startedEpochMillis) {
        long now = clock.nanos();
        List<Worker> views = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        for (WorkerTable.Slot slot : table.slots()) {
            dev.forkline.supervisor.Worker w = table.serving(slot.index);
            if (w == null) {
                notReady.add("worker " + slot.index + " has no process (last exit: " + slot.lastExit + ")");
            } else if (w.state != dev.forkline.supervisor.Worker.State.READY) {
                notReady.add("worker " + slot.index + " pid " + w.pid + " is "
                        + (w.state == dev.forkline.supervisor.Worker.State.BOOTED ? "a promoted standby, not listening yet" : w.state.label));
            }
        }
        for (dev.forkline.supervisor.Worker w : table.live()) {
            WorkerTable.Slot slot = w.role == Role.STANDBY ? table.standbyPlace()
                    : w.role == Role.RETIRING || !table.hasSlot(w.slot) ? null : table.slot(w.slot);
            long age = w.lastHeartbeatNanos == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos);
            views.add(new Worker(w.slot, w.pid, w.generationNumber(), w.state.label,
                    w.role.label(), w.startedEpochMillis, slot == null ? 0 : slot.restarts,
                    slot == null ? "" : slot.lastExit, age, w.stats, w.rates));
        }
        SupervisorConfig config = reload.current().config();
        return new Snapshot(ProcessHandle.current().pid(), startedEpochMillis,
                TimeUnit.NANOSECONDS.toMillis(now - startedNanos), phase.label(), reload.reported(), table.size(),
                config.standby(),
                List.copyOf(views), List.copyOf(notReady), respawn.restartsByReason(), reload.count(),
                table.exited(), table.listen(config), reload.target(), reload.last(),
                Map.copyOf(table.totalsBySlot()), reload.progress(), table.timeline.events());
    }

    /** Ready: every slot has a ready worker (Kubernetes readiness, /healthz). */
    boolean ready() {
        return notReady.isEmpty() && !state.equals("stopping") && !state.equals("stopped");
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
