package dev.forkline.supervisor;

import dev.forkline.protocol.ControlMessage;

/**
 * What wakes the supervisor's loop. Signal handlers, worker pipes and process exits only enqueue
 * events; the loop thread alone acts on them ({@link Supervisor#dispatch}).
 */
sealed interface Event {

    /** A signal the supervisor handles (INT, TERM, ...), by its name without "SIG". */
    record SignalReceived(String name) implements Event {
    }

    /** A control message read from a worker's stdout. */
    record FromWorker(WorkerProcess worker, ControlMessage message) implements Event {
    }

    /**
     * A worker process ended. Enqueued by the thread reading its stdout after EOF, so it always comes
     * after every message the worker sent (a {@code fatal} reason comes before its exit).
     */
    record WorkerExited(WorkerProcess worker, int exitValue) implements Event {
    }
}
