package dev.forkline.supervisor;

import dev.forkline.logging.Log;
import dev.forkline.os.ExitCodes;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a worker's unexpected exit means, and when its slot gets a new worker. A worker that dies
 * young (within FORKLINE_MIN_UPTIME of its start) is crash-looping: its slot waits 100 ms, doubling
 * up to 10 s, before the next start; a stable run resets the delay. The supervisor never gives up
 * because of a crash loop.
 */
final class RespawnPolicy {
    private static final Log LOG = Log.get(RespawnPolicy.class);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    /** Why a worker is respawned; each is exported from the start, at 0 (Prometheus practice). */
    static final List<String> RESTART_REASONS = List.of("crash", "signal", "hung", "boot_timeout", "boot_error",
            "out_of_memory", "exit");

    /** What an exit calls for (outside a stop). */
    enum Verdict {
        /** A retiring worker drained, or was killed after its drain timeout: nothing to do. */
        DRAINED,
        /** A boot error of the first start: a respawn would fail the same way, the server stops. */
        HALT,
        /** A boot error of a reload's new generation: the reload stops, the old workers keep serving. */
        ABANDON_RELOAD,
        /** The slot gets a new worker, after the crash-loop delay if the last one died young. */
        RESPAWN
    }

    private final WorkerTable table;
    private final Clock clock;
    private final Map<String, Long> restartsByReason = new TreeMap<>();

    RespawnPolicy(WorkerTable table, Clock clock) {
        this.table = table;
        this.clock = clock;
        RESTART_REASONS.forEach(r -> restartsByReason.put(r, 0L));
    }

    /** The delay before respawning after {@code crashes} early deaths in a row (1, 2, ...). */
    static Duration backoff(int crashes) {
        Duration delay = FIRST_BACKOFF.multipliedBy(1L << Math.min(Math.max(crashes, 1) - 1, 20));
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }

    /**
     * A worker exited while the supervisor runs. A retiring one was expected to. Exit codes 2 and 4
     * are the worker's "cannot boot" (bad configuration, port, transport; Gunicorn's
     * {@code WORKER_BOOT_ERROR}), but only from a worker that never sent {@code ready}: after that,
     * a 2 or a 4 is the application's own {@code System.exit}, a crash. Not 3: HotSpot exits with 3
     * under {@code -XX:+ExitOnOutOfMemoryError}, and such a worker must be respawned.
     *
     * <p>A boot error halts only during the first start: later its generation has booted before
     * (a respawn may work: a port held a moment by someone else, a file being replaced), and it is
     * retried with the crash-loop delay while the other workers serve. One of a reload's new
     * generation ({@code newGeneration}: it has never booted) abandons the reload; one of a
     * rollback's worker (the running generation) is retried like a respawn.
     *
     * <p>The slot's last exit, which the status shows beside the slot's serving worker, is that of
     * its serving workers: an incoming worker's exit is the reload's (its log line and, when it
     * abandons the reload, the reload's outcome), never shown as the old generation's.
     */
    Verdict judge(Worker w, int exitValue, Phase phase, Duration minUptime, boolean newGeneration) {
        if (w.role == Role.RETIRING) {
            w.exit(LOG.info("worker_exited"), exitValue).with("expected", true).with("killed_because", w.killedBecause)
                    .log(w.name() + " exited with " + ExitCodes.describe(exitValue) + " (generation "
                            + w.generationNumber() + ", drained)");
            return Verdict.DRAINED;
        }
        WorkerTable.Slot place = table.place(w);
        if (w.role == Role.SERVING || w.role == Role.STANDBY) {
            place.lastExit = (w.killedBecause != null ? w.killedBecause + ", " : "") + ExitCodes.describe(exitValue);
        }
        boolean bootError = !w.wasReady && (exitValue == ExitCodes.BOOT || exitValue == ExitCodes.CONFIG);
        if (bootError && w.role == Role.INCOMING && newGeneration) {
            return Verdict.ABANDON_RELOAD;
        }
        if (bootError && phase == Phase.STARTING) {
            w.exit(LOG.error("boot_error"), exitValue).with("reason", bootFailure(w, exitValue)).with("halt", true)
                    .log(w.name() + " could not boot: " + bootFailure(w, exitValue)
                            + "; halting (a respawn would fail the same way)");
            return Verdict.HALT;
        }
        String cause = bootError ? "boot_error" : reason(w, exitValue);
        restartsByReason.merge(cause, 1L, Long::sum);
        if (bootError) {
            w.exit(LOG.error("boot_error"), exitValue).with("reason", bootFailure(w, exitValue)).with("halt", false)
                    .log(w.name() + " could not boot: " + bootFailure(w, exitValue) + "; generation "
                            + w.generationNumber() + " booted before, so it is started again");
        } else {
            w.exit(LOG.warn("worker_exited"), exitValue).with("expected", false).with("cause", cause)
                    .with("killed_because", w.killedBecause)
                    .log(w.name() + " exited unexpectedly with " + ExitCodes.describe(exitValue)
                            + (w.killedBecause != null ? " (" + w.killedBecause + ")" : ""));
        }
        scheduleRespawn(place, w, minUptime);
        if (w.role == Role.STANDBY) {
            place.restarts++; // its replacement is started by Standbys, with the generation the supervisor runs
        }
        return Verdict.RESPAWN;
    }

    /** Why a worker could not boot: its {@code fatal} reason, or how it exited. */
    static String bootFailure(Worker w, int exitValue) {
        return w.fatalReason != null ? w.fatalReason
                : "exited with " + ExitCodes.describe(exitValue) + " before it was ready";
    }

    private static String reason(Worker w, int exitValue) {
        if (w.killedBecause != null) {
            return w.killedBecause.replace(' ', '_');
        }
        if (exitValue == ExitCodes.OUT_OF_MEMORY) {
            return "out_of_memory";
        }
        if (ExitCodes.bySignal(exitValue)) {
            return "signal";
        }
        return exitValue == 0 ? "exit" : "crash";
    }

    private void scheduleRespawn(WorkerTable.Slot slot, Worker dead, Duration minUptime) {
        long now = clock.nanos();
        // A promoted standby has served since its promotion: a crash right after it is a crash loop,
        // however long it stood by before.
        Duration uptime = Duration.ofNanos(now - (dead.promotedNanos != 0 ? dead.promotedNanos : dead.startedNanos));
        if (uptime.compareTo(minUptime) >= 0) {
            slot.crashStreak = 0;
            slot.respawnAtNanos = now;
            return;
        }
        slot.crashStreak++;
        Duration delay = backoff(slot.crashStreak);
        slot.respawnAtNanos = now + delay.toNanos();
        LOG.warn("respawn_delayed").with("slot", slot.index == Launcher.STANDBY ? null : slot.index)
                .with("role", dead.role.label()).with("uptime_ms", uptime.toMillis())
                .with("crashes_in_a_row", slot.crashStreak).with("delay_ms", delay.toMillis())
                .log((slot.index == Launcher.STANDBY ? "a standby" : "worker " + slot.index) + " died "
                        + uptime.toMillis() + " ms after " + (dead.promotedNanos != 0 ? "its promotion" : "start") + " (crash "
                        + slot.crashStreak + " in a row): respawning in " + delay.toMillis() + " ms");
    }

    static boolean due(WorkerTable.Slot slot, long now) {
        return now - slot.respawnAtNanos >= 0;
    }

    /**
     * Fills every slot that has no worker, with the slot's own generation: by promoting a standby of
     * that generation when there is one ({@link Standbys#promote}), else by starting a worker once the
     * slot's delay is over. During a reload, a slot not yet replaced gets its old generation back
     * (known to boot), and the reload replaces it in its turn.
     *
     * <p>A standby takes the slot at once after one early death: the crash-loop delay is there to
     * slow a loop, and one death is not one yet (a kill soon after a start would otherwise wait
     * 100 ms). From the second early death in a row it waits for the delay, as a new worker does, so
     * that a slot that keeps dying cannot use up the standbys as fast as they boot.
     */
    void spawnMissing(Standbys standbys) {
        long now = clock.nanos();
        for (WorkerTable.Slot slot : table.slots()) {
            if (table.serving(slot.index) != null || table.incoming(slot.index) != null) {
                continue;
            }
            boolean due = due(slot, now);
            if ((due || slot.crashStreak <= 1) && standbys.promote(slot)) {
                continue;
            }
            if (due) {
                spawn(slot);
            }
        }
    }

    private void spawn(WorkerTable.Slot slot) {
        Worker w = start(slot, slot.generation, Role.SERVING);
        if (w != null) {
            if (slot.countRestart()) {
                table.timeline.add("respawn", w, "respawned (restart " + slot.restarts + ", last exit: " + slot.lastExit + ")");
                w.about(LOG.info("worker_respawned")).with("restart", slot.restarts).with("last_exit", slot.lastExit)
                        .log("worker " + slot.index + " respawned as pid " + w.pid + " (generation "
                                + w.generationNumber() + ", restart " + slot.restarts + ", last exit: " + slot.lastExit + ")");
            } else {
                table.timeline.add("spawn", w, "spawned");
                w.about(LOG.info("worker_spawned"))
                        .log(w.name() + " spawned (generation " + w.generationNumber() + ")");
            }
        }
    }

    /**
     * Starts a worker for a slot, or a standby ({@code place} the standbys' record); null when no
     * process could be started: no exit will come, so the place is tried again after the longest delay.
     */
    Worker start(WorkerTable.Slot place, Generation generation, Role role) {
        try {
            return table.spawn(place.index, generation, role);
        } catch (IOException e) {
            String what = place.index == Launcher.STANDBY ? "a standby" : "worker " + place.index;
            LOG.error("spawn_failed").with("slot", place.index == Launcher.STANDBY ? null : place.index)
                    .with("role", role.label()).with("reason", e.getMessage())
                    .log("cannot start " + what + ": " + e.getMessage());
            place.lastExit = "could not start: " + e.getMessage();
            place.respawnAtNanos = clock.nanos() + MAX_BACKOFF.toNanos();
            return null;
        }
    }

    Map<String, Long> restartsByReason() {
        return Map.copyOf(restartsByReason);
    }
}
