package dev.forkline.supervisor;

import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.WorkerStats;
import java.util.concurrent.CompletableFuture;

/**
 * What wakes the supervisor's loop. Signal handlers, the threads reading worker pipes, process exits
 * and the admin API only enqueue events; the loop thread alone acts on them.
 *
 * <p>Every event is dispatched through {@link Handler}: a new kind of event must implement
 * {@link #accept}, which calls a handler method, so the supervisor does not compile until it handles
 * it. No event can be dropped by a forgotten branch.
 */
sealed interface Event {

    void accept(Handler handler);

    /** The supervisor's side of every event and command: one method per kind. */
    interface Handler extends Action.Handler {
        void onSignal(SignalReceived e);

        void onReady(Ready e);

        void onBooted(Booted e);

        void onHeartbeat(Heartbeat e);

        void onFatal(Fatal e);

        void onUnexpected(Unexpected e);

        void onExit(Exited e);
    }

    /** The signals the supervisor handles. */
    enum Sig { INT, TERM, HUP, TTIN, TTOU }

    record SignalReceived(Sig sig) implements Event {
        @Override
        public void accept(Handler h) {
            h.onSignal(this);
        }
    }

    /** The worker listens and serves (its {@code ready} message). */
    record Ready(Launcher.WorkerHandle worker, ControlMessage.Ready message) implements Event {
        @Override
        public void accept(Handler h) {
            h.onReady(this);
        }
    }

    /** A standby is booted, its binds held: it can be promoted (its {@code booted} message). */
    record Booted(Launcher.WorkerHandle worker, ControlMessage.Booted message) implements Event {
        @Override
        public void accept(Handler h) {
            h.onBooted(this);
        }
    }

    /**
     * The worker's event loop turns; its counters, and when it sent them ({@code sentNanos}, on the
     * machine's monotonic clock, or {@link dev.forkline.protocol.ControlMessage.Heartbeat#UNSTAMPED}).
     */
    record Heartbeat(Launcher.WorkerHandle worker, WorkerStats stats, long sentNanos) implements Event {
        @Override
        public void accept(Handler h) {
            h.onHeartbeat(this);
        }
    }

    /** The worker cannot boot and says why, just before it exits. */
    record Fatal(Launcher.WorkerHandle worker, int exitCode, String reason) implements Event {
        @Override
        public void accept(Handler h) {
            h.onFatal(this);
        }
    }

    /** A well-formed control message a worker should not send (a command meant for workers). */
    record Unexpected(Launcher.WorkerHandle worker, ControlMessage message) implements Event {
        @Override
        public void accept(Handler h) {
            h.onUnexpected(this);
        }
    }

    /**
     * A worker process ended. Enqueued by the thread reading its stdout after EOF, so it always comes
     * after every message the worker sent (a {@code fatal} reason comes before its exit).
     */
    record Exited(Launcher.WorkerHandle worker, int exitValue) implements Event {
        @Override
        public void accept(Handler h) {
            h.onExit(this);
        }
    }

    /**
     * An operator's command from the admin API. {@code reply} completes with a short JSON body once
     * the loop has acted (for a reload with {@code waitForCompletion}, once the reload is done), or
     * exceptionally with {@link Refused}.
     */
    record Command(Action action, CompletableFuture<String> reply) implements Event {
        @Override
        public void accept(Handler h) {
            action.accept(h, reply);
        }
    }

    /** What an operator can ask for; each kind has its handler method, like an event. */
    sealed interface Action {
        void accept(Action.Handler handler, CompletableFuture<String> reply);

        interface Handler {
            void onReload(Reload r, CompletableFuture<String> reply);

            void onScale(Scale s, CompletableFuture<String> reply);

            void onStop(Stop s, CompletableFuture<String> reply);
        }

        record Reload(boolean waitForCompletion) implements Action {
            @Override
            public void accept(Action.Handler h, CompletableFuture<String> reply) {
                h.onReload(this, reply);
            }
        }

        record Scale(int workers) implements Action {
            @Override
            public void accept(Action.Handler h, CompletableFuture<String> reply) {
                h.onScale(this, reply);
            }
        }

        /** @param successor the pid of the supervisor taking over ({@code forkline takeover}), or 0 */
        record Stop(long successor) implements Action {
            Stop() {
                this(0);
            }

            @Override
            public void accept(Action.Handler h, CompletableFuture<String> reply) {
                h.onStop(this, reply);
            }
        }
    }

    /** A command the supervisor will not carry out now; the message says why. */
    final class Refused extends RuntimeException {
        /** For a reload: how it ended (refused, abandoned), for the admin API's answer; else null. */
        final transient Snapshot.LastReload lastReload;

        Refused(String message) {
            this(message, null);
        }

        Refused(String message, Snapshot.LastReload lastReload) {
            super(message, null, false, false);
            this.lastReload = lastReload;
        }
    }
}
