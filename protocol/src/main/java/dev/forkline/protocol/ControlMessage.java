package dev.forkline.protocol;

/**
 * Messages between the supervisor and a worker. The worker writes its messages as JSON lines on its
 * stdout (its logs go to stderr); the supervisor writes commands as JSON lines on the worker's stdin.
 * As in nginx, commands go over the channel first and signals are the fallback.
 *
 * <p>Encoded and decoded in one place: {@link ControlCodec}.
 */
public sealed interface ControlMessage {

    /** Worker → supervisor: the listener is bound and the worker serves. Sent once, after listen succeeded. */
    record Ready(long pid, int slot, int generation, int port) implements ControlMessage {
    }

    /**
     * Worker → supervisor, every FORKLINE_HEARTBEAT_INTERVAL, sent from the event loop so that a stalled
     * loop sends none.
     */
    record Heartbeat(WorkerStats stats) implements ControlMessage {
    }

    /**
     * Worker → supervisor, just before a boot failure exit: why the worker could not start. The
     * supervisor repeats the reason when it halts.
     */
    record Fatal(int exitCode, String reason) implements ControlMessage {
    }

    /**
     * Supervisor → worker: stop accepting, answer what was received, close idle connections, exit when
     * none are left or after the drain timeout.
     */
    record Drain() implements ControlMessage {
    }

    /** Supervisor → worker: close every connection now and exit (a second Ctrl-C; nginx's fast shutdown). */
    record Stop() implements ControlMessage {
    }
}
