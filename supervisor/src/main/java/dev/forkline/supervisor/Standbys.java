package dev.forkline.supervisor;

import dev.forkline.logging.Log;
import dev.forkline.protocol.ControlMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * Warm standbys (FORKLINE_STANDBY): spare workers booted with the generation the supervisor runs,
 * their application deployed and every listening socket created but not bound. When a slot loses its
 * worker (a crash, a SIGKILL, a worker killed as hung) and its respawn is due, a standby of the
 * slot's generation is promoted into it instead of starting a JVM: it binds at once and answers
 * {@code ready}; a new standby starts in the background. Standbys are not serving: they count for no
 * slot, no readiness, no traffic.
 *
 * <p>Kept at FORKLINE_STANDBY once the first start is over (before, they would slow it down). A
 * reload's generation replaces them once the reload is complete: the older ones go when enough of
 * the new ones have booted, and until then still stand in for the slots of their own generation. A
 * standby that dies is replaced after the crash-loop delay, from {@link WorkerTable#standbyPlace()}.
 */
final class Standbys {
    private static final Log LOG = Log.get(Standbys.class);

    private final WorkerTable table;
    private final RespawnPolicy respawn;
    private final Clock clock;

    Standbys(WorkerTable table, RespawnPolicy respawn, Clock clock) {
        this.table = table;
        this.respawn = respawn;
        this.clock = clock;
    }

    /**
     * Promotes a standby of the slot's generation into the slot, which has no worker: a booted one
     * first, the oldest first. Returns false when there is none (the slot gets a new worker).
     */
    boolean promote(WorkerTable.Slot slot) {
        List<Worker> candidates = new ArrayList<>();
        for (Worker w : table.withRole(Role.STANDBY)) {
            if (w.generation.number() == slot.generation.number() && w.killedBecause == null) {
                candidates.add(w);
            }
        }
        candidates.sort(java.util.Comparator.comparing((Worker w) -> w.state != Worker.State.BOOTED)); // stable: oldest first
        for (Worker standby : candidates) {
            if (standby.handle.send(new ControlMessage.Promote(slot.index))) {
                promote(standby, slot);
                return true;
            }
            // It could never be told: it goes (SIGTERM), and the next one is tried.
            table.retire(standby, "its control channel is broken");
        }
        return false;
    }

    private void promote(Worker standby, WorkerTable.Slot slot) {
        boolean again = slot.countRestart();
        table.promote(standby, slot.index, clock.nanos());
        table.timeline.add("promote", standby, "standby promoted to worker " + slot.index
                + (again ? " (restart " + slot.restarts + ", last exit: " + slot.lastExit + ")" : ""));
        standby.about(LOG.info("worker_promoted")).with("booted", standby.state == Worker.State.BOOTED)
                .with("restart", slot.restarts).with("last_exit", slot.lastExit)
                .log("standby pid " + standby.pid + " promoted to worker " + slot.index + " (generation "
                        + standby.generationNumber() + (again ? ", restart " + slot.restarts + ", last exit: " + slot.lastExit : "")
                        + (standby.state == Worker.State.BOOTED ? "" : "; it is still booting") + ")");
    }

    /**
     * Keeps FORKLINE_STANDBY standbys of {@code current}, the generation the supervisor runs: starts
     * the missing ones (after the crash-loop delay when one died young), retires those of an older
     * generation once as many of the current one have booted, and the youngest when fewer are wanted.
     */
    void maintain(Generation current) {
        int wanted = current.config().standby();
        List<Worker> fresh = new ArrayList<>();
        List<Worker> stale = new ArrayList<>();
        for (Worker w : table.withRole(Role.STANDBY)) {
            (w.generation.number() == current.number() ? fresh : stale).add(w);
        }
        while (fresh.size() > wanted) {
            table.retire(fresh.remove(fresh.size() - 1), "FORKLINE_STANDBY is " + wanted + " now");
        }
        long booted = fresh.stream().filter(w -> w.state == Worker.State.BOOTED).count();
        if (booted >= wanted) {
            stale.forEach(w -> table.retire(w, "replaced by a standby of generation " + current.number()));
        }
        WorkerTable.Slot place = table.standbyPlace();
        while (fresh.size() < wanted && RespawnPolicy.due(place, clock.nanos())) {
            Worker w = respawn.start(place, current, Role.STANDBY);
            if (w == null) {
                return;
            }
            fresh.add(w);
            table.timeline.add("spawn", w, "spawned as a standby (" + fresh.size() + " of " + wanted + ")");
            w.about(LOG.info("worker_spawned")).log(w.name() + " spawned (generation " + w.generationNumber()
                    + ", standby " + fresh.size() + " of " + wanted + ")");
        }
    }
}
