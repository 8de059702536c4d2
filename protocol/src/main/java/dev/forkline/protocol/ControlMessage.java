package dev.forkline.protocol;

/**
 * Messages between the supervisor and a worker. The worker writes its messages as JSON lines on its
 * stdout (its logs go to stderr); the supervisor writes commands as JSON lines on the worker's stdin.
 * As in nginx, commands go over the channel first and signals are the fallback.
 *
 * <p>Encoded and decoded in one place: {@link ControlCodec}.
 */
public sealed interface ControlMessage {

    /**
     * Worker → supervisor: the application is deployed and every socket it opened is bound (its
     * addresses, e.g. {@code 0.0.0.0:3000}, in {@code listening}). Sent once.
     */
    record Ready(long pid, int slot, int generation, java.util.List<String> listening) implements ControlMessage {
        public Ready {
            listening = java.util.List.copyOf(listening);
        }
    }

    /**
     * Worker → supervisor, from a warm standby (started with {@code FORKLINE_SLOT=standby}): the
     * application is deployed up to its {@code listen()} calls, and the bind of every listening socket it
     * asked for is held back; {@code held} is their addresses. Nothing listens until {@link Promote}.
     * Sent once; heartbeats follow.
     */
    record Booted(long pid, int generation, java.util.List<String> held) implements ControlMessage {
        public Booted {
            held = java.util.List.copyOf(held);
        }
    }

    /**
     * Supervisor → a standby worker: take {@code slot}. The worker binds every held socket at once and
     * answers {@link Ready} (with the slot) once they are all bound and its application's start
     * completed; a bind that fails is a boot error ({@link Fatal}, then exit 4).
     */
    record Promote(int slot) implements ControlMessage {
    }

    /**
     * Worker → supervisor, every FORKLINE_HEARTBEAT_INTERVAL, sent from the event loop so that a stalled
     * loop sends none.
     *
     * @param sentNanos when the worker sent it: its {@link System#nanoTime()}, which on Linux is
     *     CLOCK_MONOTONIC, one clock for every process of the machine. The supervisor judges a worker
     *     hung by when it last sent a heartbeat, not by when its own loop got to read it (Unicorn's
     *     master compares its workers' CLOCK_MONOTONIC ticks the same way). {@link #UNSTAMPED} from
     *     a worker that predates the field.
     */
    record Heartbeat(WorkerStats stats, long sentNanos) implements ControlMessage {
        /** The stamp of a heartbeat that carries none (a worker older than the field). */
        public static final long UNSTAMPED = Long.MIN_VALUE;

        /** A heartbeat stamped now: create it on the event loop, right before sending it. */
        public Heartbeat(WorkerStats stats) {
            this(stats, System.nanoTime());
        }
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
