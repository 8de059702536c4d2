package dev.forkline.supervisor;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The supervisor's recent events (spawns, ready, exits, kills, reload steps, scaling, stop) for the
 * views: a bounded ring, newest last, each event numbered so that a view can ask for what it has
 * not seen ({@code GET /events?after=N}). The log says the same in prose; this is the same story for
 * a program.
 *
 * <p>Owned by the supervisor's loop thread (kept by the {@link WorkerTable}, which every part of the
 * state machine shares); {@link #events()} is an immutable copy made only when something was added,
 * so publishing it with every snapshot costs nothing on a quiet turn. Time comes from the injected
 * {@link Clock}, so the simulation's timeline is deterministic too.
 */
final class Timeline {
    /** A few reloads of many workers: 4 events a slot per reload, 64 slots, 2 reloads. */
    static final int CAPACITY = 512;

    /**
     * One event.
     *
     * @param seq 1, 2, ... in order, never reused while the supervisor runs
     * @param kind spawn, respawn, booted, promote, ready, exit, kill, drain, reload, reload_step,
     *     reload_done, reload_failed, rollback, rollback_step, rollback_done, scale or stop
     * @param slot the worker's slot, or -1 for the supervisor's own events and a standby's
     * @param pid the worker's PID, or -1
     * @param generation the worker's generation, or the reload's target
     */
    record Entry(long seq, long epochMillis, String kind, int slot, long pid, int generation, String message) {
    }

    private final ArrayDeque<Entry> ring = new ArrayDeque<>(CAPACITY);
    private final Clock clock;
    private long seq;
    private List<Entry> published = List.of();

    Timeline(Clock clock) {
        this.clock = clock;
    }

    void add(String kind, int slot, long pid, int generation, String message) {
        if (ring.size() == CAPACITY) {
            ring.removeFirst();
        }
        ring.addLast(new Entry(++seq, clock.epochMillis(), kind, slot, pid, generation, message));
        published = null;
    }

    void add(String kind, Worker w, String message) {
        add(kind, w.slot, w.pid, w.generationNumber(), message);
    }

    /** The events kept, oldest first; the same instance until the next {@link #add}. */
    List<Entry> events() {
        if (published == null) {
            published = List.copyOf(ring);
        }
        return published;
    }
}
