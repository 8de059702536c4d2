package dev.forkline.supervisor;

import dev.forkline.protocol.ControlMessage;
import java.util.concurrent.CompletableFuture;

/**
 * What wakes the supervisor's loop. Signal handlers, worker pipes, process exits and the admin API
 * only enqueue events; the loop thread alone acts on them ({@link Supervisor#dispatch}).
 */
sealed interface Event {

    /** A signal the supervisor handles (INT, TERM, HUP, TTIN, TTOU), by its name without "SIG". */
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

    /**
     * An operator's command from the admin API. {@code reply} completes with a short JSON body once
     * the loop has acted (for a reload with {@code waitForCompletion}, once the reload is done), or
     * exceptionally with {@link Refused}.
     */
    record Command(Action action, CompletableFuture<String> reply) implements Event {
    }

    /** What an operator can ask for. */
    sealed interface Action {
        record Reload(boolean waitForCompletion) implements Action {
        }

        record Scale(int workers) implements Action {
        }

        record Stop() implements Action {
        }
    }

    /** A command the supervisor will not carry out now; the message says why. */
    final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
