package dev.forkline.supervisor;

import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.WorkerStats;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The supervisor's record of one worker process (nginx keeps one {@code ngx_process_t} per child).
 * Only the supervisor's loop thread reads or changes it.
 */
final class WorkerProcess {
    enum State { STARTING, READY, DRAINING, EXITED }

    final int slot;
    final int generation;
    final Process process;
    final long pid;
    final long startedNanos;
    final long startedEpochMillis;

    State state = State.STARTING;
    long lastHeartbeatNanos;
    long drainStartedNanos;
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

    private final OutputStream stdin;

    WorkerProcess(int slot, int generation, Process process, long startedNanos) {
        this.slot = slot;
        this.generation = generation;
        this.process = process;
        this.pid = process.pid();
        this.startedNanos = startedNanos;
        this.startedEpochMillis = System.currentTimeMillis();
        this.stdin = process.getOutputStream();
    }

    /** Sends a command over the control channel; false if the channel is broken (use a signal then). */
    boolean send(ControlMessage command) {
        try {
            stdin.write((ControlCodec.encode(command) + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Graceful drain: the command first, SIGTERM as the fallback (nginx: channel first, signal second). */
    void drain() {
        if (state == State.EXITED || state == State.DRAINING) {
            return;
        }
        state = State.DRAINING;
        drainStartedNanos = System.nanoTime();
        if (!send(new ControlMessage.Drain())) {
            process.destroy();
        }
    }

    /** SIGKILL. */
    void kill(String because) {
        if (state != State.EXITED) {
            killedBecause = because;
            process.destroyForcibly();
        }
    }

    String name() {
        return "worker " + slot + " pid " + pid;
    }
}
