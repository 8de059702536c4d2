package dev.forkline.supervisor;

import dev.forkline.os.ExitCodes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What must hold after every turn of the supervisor's loop, whatever happened before, and at the
 * end of a simulation. Each check names the property in its failure message.
 */
final class Invariants {
    private final Simulation sim;
    /** Since when (the first turn that saw it) each slot has had neither a serving nor an incoming worker. */
    private final Map<Integer, Long> emptySince = new HashMap<>();
    /** Since when there have been fewer standbys of the running generation than FORKLINE_STANDBY; null: enough. */
    private Long standbyShortSince;

    /** What the turn being checked started from. */
    private Phase phaseBefore;
    private List<Event> batch = List.of();
    private final List<Worker> servingBefore = new ArrayList<>();

    Invariants(Simulation sim) {
        this.sim = sim;
    }

    void beforeTurn(List<Event> events) {
        phaseBefore = sim.supervisor.phase();
        batch = events;
        servingBefore.clear();
        servingBefore.addAll(sim.supervisor.table().withRole(Role.SERVING));
        lastReloadBefore = lastSnapshot == null ? null : lastSnapshot.lastReload();
        for (Event e : events) {
            Worker w = e instanceof Event.Exited x ? sim.supervisor.table().find(x.worker())
                    : e instanceof Event.Ready r ? sim.supervisor.table().find(r.worker()) : null;
            // Serving when it exits: serving now (a standby's: the standbys' place, Launcher.STANDBY),
            // or incoming with its ready earlier in the batch (it takes the slot first).
            if (w != null && e instanceof Event.Exited x && (w.role == Role.SERVING || w.role == Role.STANDBY
                    || (w.role == Role.INCOMING && events.subList(0, events.indexOf(e)).stream()
                            .anyMatch(r -> r instanceof Event.Ready ready && ready.worker() == x.worker())))) {
                slotsWithAServingExit.add(w.slot);
            }
            if (w == null || w.role != Role.INCOMING) {
                continue;
            }
            if (e instanceof Event.Ready) {
                failedStartsInARow.put(w.generationNumber(), 0);
            } else if (!bootError(e)) {
                failedStartsInARow.merge(w.generationNumber(), 1, Integer::sum);
            }
        }
    }

    /**
     * Slots (by index) one of whose serving workers has exited since the simulation began, and
     * {@link Launcher#STANDBY} once a standby has (the standbys' row shows their last exit).
     */
    private final Set<Integer> slotsWithAServingExit = new HashSet<>();

    /** Starts of a reload's new workers that failed before ready, in a row, by generation. */
    private final Map<Integer, Integer> failedStartsInARow = new HashMap<>();
    private Snapshot.LastReload lastReloadBefore;

    /** The snapshot after the last turn (the state does not change between turns). */
    private Snapshot lastSnapshot;

    void afterTurn() {
        lastSnapshot = sim.supervisor.snapshot();
        WorkerTable table = sim.supervisor.table();
        Phase phase = sim.supervisor.phase();
        oneServingWorkerPerSlot(table);
        everyWorkerIsAProcessAndEveryProcessAWorker(table);
        emptySlotsAreRefilledWithinTheBackoff(table, phase);
        hungWorkersAreKilledInTime(table, phase);
        haltsOnlyOnABootErrorOfTheFirstStart(phase);
        aReloadThatCannotBootLeavesThePreviousGenerationServing(table);
        theReportedGenerationRuns(table);
        theServerNeverStaysMixed(table, phase);
        aSlotShowsTheExitsOfItsServingWorkersOnly();
        aReloadIsAbandonedOnlyAfterFailedStartsInARow();
        countersNeverGoBack(lastSnapshot);
        onlyAWorkerThatListensIsReadyAndAPromotedOneWasAStandby(table);
        standbysReturnToTheirNumber(table, phase);
    }

    /**
     * No healthy worker is ever killed as hung: a worker killed for silence had sent nothing (no
     * ready, no heartbeat) for FORKLINE_WORKER_TIMEOUT, and one killed for its boot timeout had not
     * sent ready within FORKLINE_BOOT_TIMEOUT of its start, whatever the loop was doing meanwhile.
     */
    void killed(Simulation.FakeProcess p, String because) {
        if (!p.alive) {
            return;
        }
        long now = sim.clock.nanos();
        Simulation.Settings s = sim.scenario.settings();
        if ("hung".equals(because)) {
            long lastSign = Math.max(Math.max(p.readySentAt, p.bootedAt), p.lastHeartbeatSent);
            check(now - lastSign > s.workerTimeoutMs() * Simulation.MS, () -> "no healthy worker is killed as hung: " + p
                    + " sent its last heartbeat " + (now - lastSign) / Simulation.MS + " ms ago, the timeout is "
                    + s.workerTimeoutMs() + " ms");
        } else if ("boot timeout".equals(because)) {
            // Its first word (ready, or booted for a standby) late, or, promoted, its ready late after that.
            long boot = s.bootTimeoutMs() * Simulation.MS;
            boolean bootedLate = !p.booted || p.bootedAt - p.spawnedAt > boot;
            boolean readyLateAfterPromotion = p.promotedTo != null && (!p.ready || p.readySentAt - p.promotedAt > boot);
            check(bootedLate || readyLateAfterPromotion, () ->
                    "no worker that was ready (or booted, or ready after its promotion) in time is killed for its boot timeout: " + p);
        }
    }

    /**
     * The supervisor tried to start a worker for the slot (a failed start reschedules it). A worker
     * is started for a slot that has none only when no standby of its generation could be promoted
     * into it instead. (A reload's or a rollback's incoming worker for a slot that is served is no
     * such start: a standby takes only an empty slot.)
     */
    void spawnAttempted(int slot, Generation generation) {
        if (slot == Launcher.STANDBY) {
            standbyShortSince = null;
            return;
        }
        emptySince.remove(slot);
        if (sim.supervisor.table().serving(slot) != null) {
            return;
        }
        for (Worker w : sim.supervisor.table().withRole(Role.STANDBY)) {
            check(w.generationNumber() != generation.number() || w.killedBecause != null, () ->
                    "a slot gets a new JVM only when no standby of its generation can be promoted (slot " + slot
                            + ", generation " + generation.number() + ", standby " + w.name() + ")");
        }
    }

    /**
     * The supervisor sends {@code promote} only to a standby, once, into a slot that has no worker
     * and whose generation is the standby's.
     */
    void promoted(Simulation.FakeProcess p, int slot) {
        check(p.standby && p.promotedTo == null, () -> "promote goes to a standby, once: " + p);
        WorkerTable table = sim.supervisor.table();
        check(table.serving(slot) == null && table.incoming(slot) == null, () ->
                "promotion never makes two workers of a slot (slot " + slot + " has " + table.serving(slot) + ")");
        // The one its respawn would start: a promotion never puts an older generation back in a slot
        // a reload has moved on, nor keeps a newer one in a slot a rollback moves back.
        check(table.slot(slot).generation.number() == p.generation, () -> "a standby takes only a slot of its generation: "
                + p + " into slot " + slot + " of generation " + table.slot(slot).generation.number());
    }

    void atEnd() {
        check(sim.supervisor.phase() == Phase.STOPPED, () -> "the supervisor stops after SIGTERM, within the shutdown timeout");
        check(sim.processes.stream().noneMatch(p -> p.alive), () -> "every spawned process has exited: "
                + sim.processes.stream().filter(p -> p.alive).toList());
        int code = sim.supervisor.exitCode();
        if (code != ExitCodes.BOOT && code != ExitCodes.CONFIG) {
            boolean forced = sim.processes.stream().anyMatch(p -> "shutdown timeout".equals(p.killedFor)
                    && p.exitValue == ExitCodes.KILLED);
            check(code == (forced ? ExitCodes.STOP_FORCED : ExitCodes.OK), () -> "a stop exits with 0, or with "
                    + ExitCodes.STOP_FORCED + " when it had to SIGKILL workers at the shutdown timeout (exit code " + code + ")");
        }
        check(sim.supervisor.table().noneAlive() && sim.processes.stream().noneMatch(sim::exitPending), () ->
                "every spawned process is reaped (its exit handled): " + sim.supervisor.table().live());
    }

    private void oneServingWorkerPerSlot(WorkerTable table) {
        Set<Integer> seen = new HashSet<>();
        for (Worker w : table.live()) {
            if (w.role == Role.SERVING) {
                check(seen.add(w.slot), () -> "no slot has two serving workers (slot " + w.slot + ")");
            }
        }
    }

    private void everyWorkerIsAProcessAndEveryProcessAWorker(WorkerTable table) {
        for (Worker w : table.live()) {
            Simulation.FakeProcess p = (Simulation.FakeProcess) w.handle;
            check(p.alive || sim.exitPending(p), () -> "a worker in the table is a live process or its exit is on its way: " + p);
        }
        for (Simulation.FakeProcess p : sim.alive) {
            check(table.find(p) != null, () -> "every live process is in the table (none forgotten): " + p);
        }
    }

    /** Empty slot / standby pairs where the standby could have taken the slot, after the last turn and this one. */
    private Set<String> couldTakeBefore = new HashSet<>();
    private Set<String> couldTake = new HashSet<>();

    private void emptySlotsAreRefilledWithinTheBackoff(WorkerTable table, Phase phase) {
        couldTakeBefore = couldTake;
        couldTake = new HashSet<>();
        long now = sim.clock.nanos();
        emptySince.keySet().removeIf(i -> i >= table.size());
        if (phase == Phase.STOPPING || phase == Phase.STOPPED || sim.afterStall()) {
            emptySince.clear(); // no respawn in a stop; none while the loop did not turn
            return;
        }
        for (WorkerTable.Slot slot : table.slots()) {
            if (table.serving(slot.index) != null || table.incoming(slot.index) != null) {
                emptySince.remove(slot.index);
                continue;
            }
            // A standby that could take it does, on the next turn at the latest (one started in the
            // turn the slot was found empty is promoted on the next): at once after one early death,
            // else once the slot's delay is over.
            if (slot.crashStreak <= 1 || RespawnPolicy.due(slot, now)) {
                for (Worker w : table.withRole(Role.STANDBY)) {
                    if (w.generationNumber() == slot.generation.number() && w.killedBecause == null) {
                        check(!couldTakeBefore.contains(slot.index + "/" + w.pid), () ->
                                "an empty slot whose standby could take it does not stay empty (slot " + slot.index
                                        + ", " + w.name() + ")");
                        couldTake.add(slot.index + "/" + w.pid);
                    }
                }
            }
            long since = emptySince.computeIfAbsent(slot.index, i -> now);
            long allowed = (slot.lastExit.startsWith("could not start") ? RespawnPolicy.MAX_BACKOFF
                    : RespawnPolicy.backoff(slot.crashStreak)).toNanos() + 2 * Simulation.TICK;
            check(now - since <= allowed, () -> "outside a stop, slot " + slot.index + " is refilled within its respawn backoff ("
                    + (now - since) / Simulation.MS + " ms empty)");
        }
    }

    /**
     * A ready worker whose event loop is stuck is killed within FORKLINE_WORKER_TIMEOUT of its last
     * heartbeat, plus the watchdog's grace after a stall of the loop and two turns.
     */
    private void hungWorkersAreKilledInTime(WorkerTable table, Phase phase) {
        if (phase == Phase.STOPPING || phase == Phase.STOPPED) {
            return;
        }
        long now = sim.clock.nanos();
        long bound = sim.scenario.settings().workerTimeoutMs() * Simulation.MS + Watchdog.STALL_GRACE.toNanos()
                + 2 * Simulation.TICK;
        for (Worker w : table.live()) {
            Simulation.FakeProcess p = (Simulation.FakeProcess) w.handle;
            if (p.alive && p.hung && p.booted && w.killedBecause == null
                    && (w.state == Worker.State.READY || w.state == Worker.State.BOOTED) && w.role != Role.RETIRING) {
                long since = Math.max(Math.max(Math.max(p.readySentAt, p.bootedAt), p.lastHeartbeatSent), sim.lastStallEnd);
                check(now - since <= bound, () -> "a hung worker is killed within the worker timeout: " + p + " silent for "
                        + (now - since) / Simulation.MS + " ms");
            }
        }
    }

    /**
     * The supervisor counts as ready only a process that listens (a standby never before its
     * promotion), and a serving worker started as a standby was promoted into that very slot.
     */
    private void onlyAWorkerThatListensIsReadyAndAPromotedOneWasAStandby(WorkerTable table) {
        for (Worker w : table.live()) {
            Simulation.FakeProcess p = (Simulation.FakeProcess) w.handle;
            if (w.state == Worker.State.READY) {
                check(p.ready, () -> "only a worker that sent ready (listens) is ready: " + p);
            }
            if (p.standby && (w.role == Role.SERVING)) {
                check(p.promotedTo != null && p.promotedTo == w.slot, () ->
                        "a standby serves only the slot it was promoted into: " + p + " serves slot " + w.slot);
            }
            if (w.role == Role.STANDBY) {
                check(p.standby && p.promotedTo == null && w.slot == Launcher.STANDBY, () ->
                        "a standby is a process started as one, not promoted, holding no slot: " + p);
            }
        }
    }

    /**
     * Outside the first start and a stop, the standbys of the running generation return to
     * FORKLINE_STANDBY as soon as their respawn backoff allows (at most the longest delay), never
     * more of them; and once as many of them have booted, no standby of an older generation is left.
     */
    private void standbysReturnToTheirNumber(WorkerTable table, Phase phase) {
        if (phase == Phase.STARTING || phase == Phase.STOPPING || phase == Phase.STOPPED || sim.afterStall()) {
            standbyShortSince = null;
            return;
        }
        int wanted = lastSnapshot.desiredStandby();
        int running = lastSnapshot.generation();
        List<Worker> standbys = table.withRole(Role.STANDBY);
        long fresh = standbys.stream().filter(w -> w.generationNumber() == running).count();
        long booted = standbys.stream().filter(w -> w.generationNumber() == running && w.state == Worker.State.BOOTED).count();
        check(fresh <= wanted, () -> "never more standbys than FORKLINE_STANDBY (" + fresh + " > " + wanted + ")");
        if (booted >= wanted) {
            check(standbys.stream().allMatch(w -> w.generationNumber() == running), () ->
                    "standbys of an older generation go once the running one's have booted: " + standbys);
        }
        long now = sim.clock.nanos();
        if (fresh >= wanted) {
            standbyShortSince = null;
            return;
        }
        if (standbyShortSince == null) {
            standbyShortSince = now;
        }
        // Short of standbys: the next one starts as soon as its backoff is over (a turn or two after a
        // promotion or a change of generation), and that is never more than the longest delay away.
        WorkerTable.Slot place = table.standbyPlace();
        long since = standbyShortSince;
        check(now - since <= 2 * Simulation.TICK || !RespawnPolicy.due(place, now), () ->
                "outside a stop, a missing standby is started once its respawn backoff is over (" + fresh + " of "
                        + wanted + " for " + (now - since) / Simulation.MS + " ms, due since "
                        + (now - place.respawnAtNanos) / Simulation.MS + " ms)");
        check(place.respawnAtNanos - now <= RespawnPolicy.MAX_BACKOFF.toNanos(), () ->
                "a missing standby waits at most " + RespawnPolicy.MAX_BACKOFF.toMillis() + " ms");
    }

    /** A worker that exits with 2 or 4 without ever having sent ready could not boot. */
    private static boolean bootError(Event e) {
        return e instanceof Event.Exited x && (x.exitValue() == ExitCodes.BOOT || x.exitValue() == ExitCodes.CONFIG)
                && !((Simulation.FakeProcess) x.worker()).ready;
    }

    /**
     * The server halts (stops with exit code 2 or 4) only on a boot error of a serving worker during
     * the first start: later, the same generation booted before, so a respawn may work; a worker
     * that was ready and then exits 2 or 4 (an application's System.exit(2)) crashed.
     */
    private void haltsOnlyOnABootErrorOfTheFirstStart(Phase phase) {
        boolean stopped = phase == Phase.STOPPING || phase == Phase.STOPPED;
        boolean stoppedBefore = phaseBefore == Phase.STOPPING || phaseBefore == Phase.STOPPED;
        if (stopped && !stoppedBefore && sim.supervisor.exitCode() != ExitCodes.OK) {
            check(phaseBefore == Phase.STARTING && batch.stream().anyMatch(Invariants::bootError), () ->
                    "the server halts only on a boot error of the first start (it was " + phaseBefore
                            + "; events " + batch + ")");
        }
    }

    /**
     * A boot error of a reload's new generation never halts the server and leaves every worker of
     * the previous generation serving.
     */
    private void aReloadThatCannotBootLeavesThePreviousGenerationServing(WorkerTable table) {
        for (Event e : batch) {
            if (!bootError(e)) {
                continue;
            }
            Simulation.FakeProcess p = (Simulation.FakeProcess) ((Event.Exited) e).worker();
            boolean newGeneration = servingBefore.stream().anyMatch(w -> w.generationNumber() < p.generation);
            if (!newGeneration) {
                continue;
            }
            check(sim.supervisor.exitCode() == ExitCodes.OK, () -> "a boot error of a reload's generation never halts");
            for (Worker w : servingBefore) {
                Simulation.FakeProcess q = (Simulation.FakeProcess) w.handle;
                boolean leftByItself = batch.stream().anyMatch(x -> x instanceof Event.Exited ex && ex.worker() == q)
                        || w.killedBecause != null;
                // Other events of the same turn may move it legitimately: its slot scaled away, or
                // replaced by its new worker.
                Worker now = table.serving(w.slot);
                boolean movedOn = w.slot >= table.size() || (now != null && now.generationNumber() > w.generationNumber());
                if (w.generationNumber() < p.generation && !leftByItself && !movedOn
                        && sim.supervisor.phase() != Phase.STOPPING) {
                    check(table.find(q) != null && w.role == Role.SERVING, () ->
                            "a boot error of a reload's generation leaves the previous generation serving: " + q);
                }
            }
        }
    }

    /**
     * The generation the status reports is one that runs: some slot holds it (its worker runs it,
     * or its next respawn will). During a reload that is the old one until every slot has moved.
     */
    private void theReportedGenerationRuns(WorkerTable table) {
        int reported = lastSnapshot.generation();
        check(table.slots().stream().anyMatch(s -> s.generation.number() == reported), () ->
                "the reported generation (" + reported + ") is one that runs");
    }

    /**
     * Once no reload (nor the rollback of an abandoned one) is under way, every slot and every
     * serving worker runs the reported generation: an abandoned reload never leaves some slots on
     * its generation.
     */
    private void theServerNeverStaysMixed(WorkerTable table, Phase phase) {
        if (phase != Phase.RUNNING) {
            return;
        }
        int reported = lastSnapshot.generation();
        for (WorkerTable.Slot s : table.slots()) {
            Worker w = table.serving(s.index);
            check(s.generation.number() == reported && (w == null || w.generationNumber() == reported), () ->
                    "outside a reload every slot runs the reported generation " + reported + ": slot " + s.index
                            + " has generation " + s.generation.number() + (w == null ? "" : ", its worker " + w.generationNumber()));
        }
    }

    /**
     * The last exit the status shows beside a slot's worker is one of the slot's serving workers
     * (or its failed spawn), never the exit of a reload's new worker: that one is the reload's.
     */
    private void aSlotShowsTheExitsOfItsServingWorkersOnly() {
        for (Snapshot.Worker w : lastSnapshot.workers()) {
            check(w.lastExit().isEmpty() || w.lastExit().startsWith("could not start")
                    || slotsWithAServingExit.contains(w.slot()), () -> "slot " + w.slot() + " shows the last exit \""
                    + w.lastExit() + "\" though none of its serving workers has exited");
        }
    }

    /** A reload is abandoned for failed starts only after {@link Reload#ATTEMPTS} of them in a row. */
    private void aReloadIsAbandonedOnlyAfterFailedStartsInARow() {
        Snapshot.LastReload last = lastSnapshot.lastReload();
        if (last != null && last != lastReloadBefore && last.outcome().equals("abandoned")
                && last.reason().contains("failed to start")) {
            check(failedStartsInARow.getOrDefault(last.generation(), 0) >= Reload.ATTEMPTS, () ->
                    "a reload is abandoned only after " + Reload.ATTEMPTS + " failed starts in a row (generation "
                            + last.generation() + " had " + failedStartsInARow.getOrDefault(last.generation(), 0) + ")");
        }
    }

    private final Map<Integer, Snapshot.Totals> lastBySlot = new HashMap<>();
    private Snapshot.Totals lastTotals = Snapshot.Totals.ZERO;

    /**
     * The counters the metrics export never go back: the totals, and each slot's, which count every
     * process that has held the slot (Prometheus' rate() would read a drop as a reset).
     */
    private void countersNeverGoBack(Snapshot s) {
        check(s.totals().atLeast(lastTotals), () -> "the totals never go back: " + lastTotals + " then " + s.totals());
        lastTotals = s.totals();
        s.slotTotals().forEach((slot, t) -> {
            Snapshot.Totals before = lastBySlot.getOrDefault(slot, Snapshot.Totals.ZERO);
            check(t.atLeast(before), () -> "slot " + slot + "'s counters never go back: " + before + " then " + t);
            lastBySlot.put(slot, t);
        });
    }

    /** The message is built only when the check fails: checks run after every turn of 1 000 scenarios. */
    static void check(boolean condition, java.util.function.Supplier<String> property) {
        if (!condition) {
            throw new AssertionError("invariant violated: " + property.get());
        }
    }
}
