package dev.forkline.supervisor;

import dev.forkline.logging.Log;
import dev.forkline.os.ExitCodes;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.WorkerStats;

/**
 * The supervisor's record of one worker process (nginx keeps one {@code ngx_process_t} per child).
 * Only the supervisor's loop thread reads or changes it; its role changes only through
 * {@link WorkerTable#assign}.
 */
final class Worker {
    /**
     * The process's life as the supervisor sees it: STARTING → READY → DRAINING → EXITED; a standby
     * is BOOTED (its binds held, not listening) between STARTING and READY, READY once promoted and
     * listening.
     */
    enum State {
        STARTING, BOOTED, READY, DRAINING, EXITED;

        final String label = name().toLowerCase(java.util.Locale.ROOT);
    }

    final Launcher.WorkerHandle handle;
    final long pid;
    /** The slot it holds or will hold; {@link Launcher#STANDBY} for a standby. Changed only by {@link WorkerTable#promote}. */
    int slot;
    final Generation generation;
    final long startedNanos;
    final long startedEpochMillis;

    Role role;
    State state = State.STARTING;
    long lastHeartbeatNanos;
    long drainStartedNanos;
    /** When a standby was promoted into its slot (its ready is due within FORKLINE_BOOT_TIMEOUT of it); 0 if never. */
    long promotedNanos;
    WorkerStats stats;
    /** Whether it ever sent {@code ready}: only a worker that did not can fail to boot. */
    boolean wasReady;
    /** Where it listens, from its {@code ready} message. */
    java.util.List<String> listening;
    /** Rates between its last two heartbeats. */
    Rates rates = Rates.UNKNOWN;
    /** The reason a worker gave in a {@code fatal} message before it exited. */
    String fatalReason;
    /** Set when the supervisor killed it (hung, boot timeout, stop timeout), for the exit log line. */
    String killedBecause;

    Worker(Launcher.WorkerHandle handle, int slot, Generation generation, Role role, long nowNanos, long nowEpochMillis) {
        this.handle = handle;
        this.pid = handle.pid();
        this.slot = slot;
        this.generation = generation;
        this.role = role;
        this.startedNanos = nowNanos;
        this.startedEpochMillis = nowEpochMillis;
    }

    /** Graceful drain: the command first, SIGTERM as the fallback (nginx: channel first, signal second). */
    void drain(long nowNanos) {
        if (state == State.EXITED || state == State.DRAINING) {
            return;
        }
        state = State.DRAINING;
        drainStartedNanos = nowNanos;
        if (!handle.send(new ControlMessage.Drain())) {
            handle.terminate();
        }
    }

    /** SIGKILL. */
    void kill(String because) {
        if (state != State.EXITED) {
            killedBecause = because;
            handle.kill();
        }
    }

    int generationNumber() {
        return generation.number();
    }

    /** The fields that say which worker an event is about: slot (null for a standby), pid, generation, role. */
    Log.Entry about(Log.Entry e) {
        return e.with("slot", slot == Launcher.STANDBY ? null : slot).with("pid", pid)
                .with("generation", generation.number()).with("role", role.label());
    }

    /** {@link #about} and how it exited: {@code exit} ("signal KILL (9)") and {@code exit_value} (137). */
    Log.Entry exit(Log.Entry e, int exitValue) {
        return about(e).with("exit", ExitCodes.describe(exitValue)).with("exit_value", exitValue);
    }

    /** "worker 2 pid 4242", or "standby pid 4242" for a standby not promoted. */
    String name() {
        return (slot == Launcher.STANDBY ? "standby" : "worker " + slot) + " pid " + pid;
    }
}
