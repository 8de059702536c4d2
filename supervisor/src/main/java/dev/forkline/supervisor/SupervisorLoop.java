package dev.forkline.supervisor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The supervisor's one loop thread: waits for events (at most {@link #TICK_MILLIS}, so timers are
 * checked even when nothing happens), hands them to the {@link Supervisor}, and publishes a
 * {@link Snapshot} after every turn for the admin API. Signal handlers, the threads reading worker
 * pipes and the admin API only {@link #enqueue}: all state belongs to this thread.
 */
final class SupervisorLoop {
    static final long TICK_MILLIS = 100;

    private final BlockingQueue<Event> events;
    private final Supervisor supervisor;
    private volatile Snapshot snapshot;
    private volatile long lastTurnNanos = System.nanoTime();

    SupervisorLoop(BlockingQueue<Event> events, Supervisor supervisor) {
        this.events = events;
        this.supervisor = supervisor;
        this.snapshot = supervisor.snapshot();
    }

    /** A queue for the loop's events; create it first, the launcher's reader threads need it. */
    static BlockingQueue<Event> queue() {
        return new LinkedBlockingQueue<>();
    }

    /** Enqueues an event: the only way in from other threads. */
    void enqueue(Event event) {
        events.add(event);
    }

    /** The state as of the last turn of the loop; safe from any thread. */
    Snapshot snapshot() {
        return snapshot;
    }

    /** When the loop last turned; the admin API's liveness probe. */
    long lastTurnNanos() {
        return lastTurnNanos;
    }

    /** Runs until every worker has stopped; returns the process exit code. */
    int run() throws InterruptedException {
        supervisor.start();
        publish();
        while (supervisor.phase() != Phase.STOPPED) {
            List<Event> batch = new ArrayList<>();
            Event first = events.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
            if (first != null) {
                batch.add(first);
                events.drainTo(batch); // all that is queued: judged only once none is waiting
            }
            supervisor.turn(batch);
            publish();
        }
        return supervisor.exitCode();
    }

    private void publish() {
        snapshot = supervisor.snapshot();
        lastTurnNanos = System.nanoTime();
    }
}
