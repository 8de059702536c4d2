package dev.forkline.supervisor;

import dev.forkline.logging.Log;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The slots and every live worker, with its role. A slot is a place for one serving worker: the
 * worker in it is replaced when it dies or reloads, the slot stays (its index is the worker's
 * FORKLINE_SLOT). Owned by the supervisor's loop thread.
 */
final class WorkerTable {
    private static final Log LOG = Log.get(WorkerTable.class);

    /** One place for a worker, and what its next respawn uses. */
    static final class Slot {
        final int index;
        /** The generation a respawn of this slot starts. */
        Generation generation;
        int restarts;
        /** Deaths within FORKLINE_MIN_UPTIME of the start, in a row. */
        int crashStreak;
        /** No respawn before this (crash-loop backoff). */
        long respawnAtNanos;
        String lastExit = "";

        Slot(int index, Generation generation) {
            this.index = index;
            this.generation = generation;
        }

        /**
         * A new process has just taken this slot (a respawn or a promoted standby): counts a restart
         * when one exited here before, and says whether it did.
         */
        boolean countRestart() {
            if (lastExit.isEmpty()) {
                return false;
            }
            restarts++;
            return true;
        }
    }

    private final List<Slot> slots = new ArrayList<>();
    /**
     * The standbys' record, kept as a slot's is: their respawn backoff, restarts and last exit
     * (standbys are interchangeable, so one record for all of them). Its generation is unused: a
     * standby always starts with the generation the supervisor runs.
     */
    private final Slot standbyPlace = new Slot(Launcher.STANDBY, null);
    private final Map<Launcher.WorkerHandle, Worker> workers = new LinkedHashMap<>();
    /** Lookups by slot, kept with every change of role; {@link #workers} is what is true. */
    private final Map<Integer, Worker> servingBySlot = new java.util.HashMap<>();
    private final Map<Integer, Worker> incomingBySlot = new java.util.HashMap<>();
    private final Launcher launcher;
    private final Clock clock;
    /** Recent events for the views (GET /events, top, the dashboard). */
    final Timeline timeline;
    /** Counters of workers that have exited (their last heartbeat), so totals never go back. */
    private Snapshot.Totals exited = Snapshot.Totals.ZERO;
    /** The same by slot index, kept when a slot is scaled away (if it comes back, it goes on from there). */
    private final Map<Integer, Snapshot.Totals> exitedBySlot = new java.util.TreeMap<>();

    WorkerTable(Launcher launcher, Clock clock) {
        this.launcher = launcher;
        this.clock = clock;
        this.timeline = new Timeline(clock);
    }

    List<Slot> slots() {
        return slots;
    }

    int size() {
        return slots.size();
    }

    Slot slot(int index) {
        return slots.get(index);
    }

    boolean hasSlot(int index) {
        return index >= 0 && index < slots.size();
    }

    /** Where a worker's exits and respawns are kept: its slot's record, or the standbys' for a standby. */
    Slot place(Worker w) {
        return w.slot == Launcher.STANDBY ? standbyPlace : slots.get(w.slot);
    }

    Slot standbyPlace() {
        return standbyPlace;
    }

    /**
     * Scaling: adds slots at the end (their workers start with {@code generation}) or drains the
     * highest away. Returns whether the count changed.
     *
     * @throws Event.Refused for a count out of range
     */
    boolean scaleTo(int count, Generation generation, String why) {
        if (count < 1 || count > SupervisorConfig.MAX_WORKERS) {
            throw new Event.Refused("workers must be from 1 to " + SupervisorConfig.MAX_WORKERS + ", not " + count);
        }
        if (count == slots.size()) {
            return false;
        }
        timeline.add("scale", -1, -1, generation.number(), why + ": scaling from " + slots.size() + " to " + count + " workers");
        LOG.info("scaled").with("from", slots.size()).with("to", count).with("trigger", why)
                .log(why + ": scaling from " + slots.size() + " to " + count + " workers");
        resize(count, generation);
        return true;
    }

    /** Adds slots at the end (their workers start with {@code generation}), or drains the highest away. */
    void resize(int count, Generation generation) {
        while (slots.size() < count) {
            slots.add(new Slot(slots.size(), generation));
        }
        while (slots.size() > count) {
            Slot gone = slots.remove(slots.size() - 1);
            for (Worker w : live()) {
                if (w.slot == gone.index && w.role != Role.RETIRING) {
                    retire(w, "scaled down");
                }
            }
        }
    }

    /**
     * Starts a worker of {@code generation} for {@code slot} in its first role (SERVING or INCOMING),
     * or a standby ({@code slot} {@link Launcher#STANDBY}, role STANDBY).
     */
    Worker spawn(int slot, Generation generation, Role role) throws IOException {
        if ((slot == Launcher.STANDBY) != (role == Role.STANDBY)) {
            throw new IllegalArgumentException("a standby has no slot, and only a standby: slot " + slot + ", " + role);
        }
        Launcher.WorkerHandle handle = launcher.spawn(slot, generation);
        Worker w = new Worker(handle, slot, generation, role, clock.nanos(), clock.epochMillis());
        workers.put(handle, w);
        index(w);
        return w;
    }

    /** The worker leaves its slot (or its place as incoming) and drains away. */
    void retire(Worker w, String why) {
        timeline.add("drain", w, "draining (" + why + ")");
        w.about(LOG.info("worker_draining")).with("reason", why)
                .log(w.name() + " draining (" + why + ")");
        w.drain(clock.nanos());
        assign(w, Role.RETIRING);
    }

    /** The worker behind a handle, or null once it has exited (or if it was never ours). */
    Worker find(Launcher.WorkerHandle handle) {
        return workers.get(handle);
    }

    /** The one place where a worker's role changes, along the arrows {@link Role#mayBecome} allows. */
    void assign(Worker w, Role to) {
        if (!w.role.mayBecome(to)) {
            throw new IllegalStateException(w.name() + " cannot go from " + w.role + " to " + to);
        }
        unindex(w);
        w.role = to;
        index(w);
    }

    /**
     * A standby takes {@code slot}, whose serving worker is gone: the one place where a worker's slot
     * changes. The supervisor sends it {@code promote}; it binds at once.
     */
    void promote(Worker standby, int slot, long nowNanos) {
        if (standby.role != Role.STANDBY || serving(slot) != null || incoming(slot) != null) {
            throw new IllegalStateException(standby.name() + " cannot be promoted into slot " + slot);
        }
        standby.slot = slot;
        standby.promotedNanos = nowNanos;
        assign(standby, Role.SERVING);
    }

    private void index(Worker w) {
        if (w.role == Role.SERVING) {
            servingBySlot.put(w.slot, w);
        } else if (w.role == Role.INCOMING) {
            incomingBySlot.put(w.slot, w);
        }
    }

    private void unindex(Worker w) {
        servingBySlot.remove(w.slot, w);
        incomingBySlot.remove(w.slot, w);
    }

    /** The worker has exited: it leaves the table. */
    void remove(Worker w) {
        w.state = Worker.State.EXITED;
        workers.remove(w.handle);
        unindex(w);
        exited = exited.plus(w.stats);
        if (w.slot != Launcher.STANDBY) {
            exitedBySlot.merge(w.slot, Snapshot.Totals.ZERO.plus(w.stats), (a, b) -> a.plus(b));
        }
    }

    Snapshot.Totals exited() {
        return exited;
    }

    /**
     * Counters by slot: every process that has held the slot, exited or alive, so that a slot's
     * counters never go back when its worker is respawned or reloaded. For the slots there are and
     * the slots of workers still alive (one scaled away, draining). A standby counts for the slot it
     * is promoted into, from then on (it served nothing before).
     */
    Map<Integer, Snapshot.Totals> totalsBySlot() {
        Map<Integer, Snapshot.Totals> bySlot = new java.util.TreeMap<>();
        for (Slot s : slots) {
            bySlot.put(s.index, exitedBySlot.getOrDefault(s.index, Snapshot.Totals.ZERO));
        }
        for (Worker w : workers.values()) {
            if (w.slot == Launcher.STANDBY) {
                continue;
            }
            bySlot.merge(w.slot, exitedBySlot.getOrDefault(w.slot, Snapshot.Totals.ZERO).plus(w.stats),
                    (a, b) -> a.plus(w.stats));
        }
        return bySlot;
    }

    /** The worker in the slot's serving role, or null. */
    Worker serving(int slot) {
        return servingBySlot.get(slot);
    }

    /** The next generation's worker for the slot during a reload, or null. */
    Worker incoming(int slot) {
        return incomingBySlot.get(slot);
    }

    /** Whether a reload's new worker is starting in some slot (one at a time). */
    boolean anyIncoming() {
        return !incomingBySlot.isEmpty();
    }

    /** Slots whose serving worker is ready. */
    int readyCount() {
        int n = 0;
        for (Slot s : slots) {
            Worker w = serving(s.index);
            if (w != null && w.state == Worker.State.READY) {
                n++;
            }
        }
        return n;
    }

    List<Worker> withRole(Role role) {
        List<Worker> found = new ArrayList<>();
        for (Worker w : workers.values()) {
            if (w.role == role) {
                found.add(w);
            }
        }
        return found;
    }

    /** Every live worker, in the order they were spawned. */
    Collection<Worker> live() {
        return List.copyOf(workers.values());
    }

    /** Where the workers listen: the built-in server's address, or what the application's workers bound. */
    String listen(SupervisorConfig current) {
        if (current.app().isEmpty()) {
            return AdminConfig.hostPort(current.worker().host(), current.worker().port());
        }
        for (Worker w : workers.values()) {
            if (w.role == Role.SERVING && w.listening != null) {
                return String.join(", ", w.listening);
            }
        }
        return "(application not ready)";
    }

    boolean noneAlive() {
        return workers.isEmpty();
    }
}
