package dev.forkline.supervisor;

import dev.forkline.config.Setting;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.ExitCodes;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The master process. Its loop is Gunicorn's arbiter and Unicorn's master: wait for an event, act
 * on it, kill hung workers, spawn missing ones. Everything else (signal handlers, the threads that
 * read worker pipes) only enqueues events, so all state here belongs to one thread.
 */
final class Supervisor {
    private static final Logger LOG = Logger.getLogger(Supervisor.class.getName());
    private static final long TICK_MILLIS = 100;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

    private final SupervisorConfig config;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final WorkerLauncher launcher;
    private final List<Slot> slots = new ArrayList<>();
    private final int generation = 1;

    private boolean announcedReady;
    private boolean stopping;
    private long stopDeadline;
    private boolean killedAtDeadline;
    private int exitCode = ExitCodes.OK;

    /** A place for one worker; the worker in it is replaced when it dies, the slot stays. */
    static final class Slot {
        final int index;
        WorkerProcess worker;
        int restarts;
        int crashStreak;
        long respawnAtNanos;
        String lastExit = "";

        Slot(int index) {
            this.index = index;
        }
    }

    Supervisor(SupervisorConfig config) {
        this.config = config;
        this.launcher = new WorkerLauncher(config, events::add);
        for (int i = 0; i < config.workers(); i++) {
            slots.add(new Slot(i));
        }
    }

    /** Enqueues an event: the only way in from other threads. */
    void enqueue(Event event) {
        events.add(event);
    }

    /** Runs until every worker has stopped; returns the process exit code. */
    int run() throws InterruptedException {
        while (!(stopping && noneAlive())) {
            Event event = events.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
            if (event != null) {
                dispatch(event);
            }
            if (stopping) {
                killStragglers();
            } else {
                killHungWorkers();
                spawnMissingWorkers();
            }
        }
        LOG.info("all workers stopped; exiting with code " + exitCode);
        return exitCode;
    }

    /** The one place where events are handled. */
    void dispatch(Event event) {
        if (event instanceof Event.SignalReceived s) {
            onSignal(s.name());
        } else if (event instanceof Event.FromWorker m) {
            onMessage(m.worker(), m.message());
        } else if (event instanceof Event.WorkerExited x) {
            reap(x.worker(), x.exitValue());
        }
    }

    private void onSignal(String name) {
        switch (name) {
            case "INT", "TERM" -> {
                if (stopping) {
                    LOG.info("SIG" + name + " again: stopping workers now");
                    forEachAlive(w -> w.send(new ControlMessage.Stop()));
                } else {
                    stop("SIG" + name, ExitCodes.OK);
                }
            }
            default -> LOG.warning("SIG" + name + " ignored");
        }
    }

    private void onMessage(WorkerProcess w, ControlMessage message) {
        if (message instanceof ControlMessage.Ready) {
            long now = System.nanoTime();
            if (w.state == WorkerProcess.State.STARTING) {
                w.state = WorkerProcess.State.READY;
            }
            w.readyNanos = now;
            w.lastHeartbeatNanos = now;
            LOG.info(w.name() + " ready in " + TimeUnit.NANOSECONDS.toMillis(now - w.startedNanos)
                    + " ms (generation " + w.generation + ")");
            announceReadiness();
        } else if (message instanceof ControlMessage.Heartbeat h) {
            w.lastHeartbeatNanos = System.nanoTime();
            w.stats = h.stats();
        } else if (message instanceof ControlMessage.Fatal f) {
            w.fatalReason = f.reason();
        } else {
            LOG.warning(w.name() + " sent an unexpected message: " + message);
        }
    }

    /** A worker process ended: log it, and respawn it unless that was expected. */
    private void reap(WorkerProcess w, int exitValue) {
        boolean expected = w.state == WorkerProcess.State.DRAINING || stopping;
        w.state = WorkerProcess.State.EXITED;
        String how = ExitCodes.describe(exitValue);
        Slot slot = slotOf(w);
        if (slot != null) {
            slot.worker = null;
            slot.lastExit = (w.killedBecause != null ? w.killedBecause + ", " : "") + how;
        }
        if (expected) {
            LOG.info(w.name() + " exited with " + how);
            return;
        }
        if (exitValue == ExitCodes.BOOT || exitValue == ExitCodes.CONFIG) {
            String reason = w.fatalReason != null ? w.fatalReason : "exited with " + how + " before it was ready";
            LOG.severe(w.name() + " could not boot: " + reason + "; halting (a respawn would fail the same way)");
            stop("a worker boot error", exitValue);
            return;
        }
        LOG.warning(w.name() + " exited unexpectedly with " + how
                + (w.killedBecause != null ? " (" + w.killedBecause + ")" : ""));
        if (slot != null) {
            scheduleRespawn(slot, w);
        }
    }

    /** Crash-loop backoff: a worker that dies young is restarted after 100 ms, doubling up to 10 s. */
    private void scheduleRespawn(Slot slot, WorkerProcess dead) {
        long now = System.nanoTime();
        Duration uptime = Duration.ofNanos(now - dead.startedNanos);
        if (uptime.compareTo(config.minUptime()) >= 0) {
            slot.crashStreak = 0;
            slot.respawnAtNanos = now;
            return;
        }
        slot.crashStreak++;
        Duration delay = FIRST_BACKOFF.multipliedBy(1L << Math.min(slot.crashStreak - 1, 20));
        if (delay.compareTo(MAX_BACKOFF) > 0) {
            delay = MAX_BACKOFF;
        }
        slot.respawnAtNanos = now + delay.toNanos();
        LOG.warning("worker " + slot.index + " died " + uptime.toMillis() + " ms after start (crash "
                + slot.crashStreak + " in a row): respawning in " + delay.toMillis() + " ms");
    }

    private void killHungWorkers() {
        long now = System.nanoTime();
        for (Slot slot : slots) {
            WorkerProcess w = slot.worker;
            if (w == null || w.killedBecause != null) {
                continue;
            }
            if (w.state == WorkerProcess.State.STARTING && now - w.startedNanos > config.bootTimeout().toNanos()) {
                LOG.warning(w.name() + " not ready after " + Setting.format(config.bootTimeout()) + ": SIGKILL");
                w.kill("boot timeout");
            } else if (w.state == WorkerProcess.State.READY
                    && now - w.lastHeartbeatNanos > config.workerTimeout().toNanos()) {
                LOG.warning(w.name() + " hung (no heartbeat for "
                        + TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos) + " ms): SIGKILL");
                w.kill("hung");
            }
        }
    }

    private void spawnMissingWorkers() {
        long now = System.nanoTime();
        for (Slot slot : slots) {
            if (slot.worker == null && now - slot.respawnAtNanos >= 0) {
                spawn(slot);
            }
        }
    }

    private void spawn(Slot slot) {
        boolean respawn = slot.restarts > 0 || !slot.lastExit.isEmpty();
        try {
            WorkerProcess w = launcher.spawn(slot.index, generation);
            slot.worker = w;
            if (respawn) {
                slot.restarts++;
                LOG.info("worker " + slot.index + " respawned as pid " + w.pid + " (generation " + generation
                        + ", restart " + slot.restarts + ", last exit: " + slot.lastExit + ")");
            } else {
                LOG.info(w.name() + " spawned (generation " + generation + ")");
            }
        } catch (IOException e) {
            LOG.severe("cannot start worker " + slot.index + ": " + e.getMessage());
            slot.crashStreak++;
            slot.respawnAtNanos = System.nanoTime() + MAX_BACKOFF.toNanos();
        }
    }

    /** INT/TERM: drain every worker (command first, SIGTERM fallback), SIGKILL what is left at the timeout. */
    private void stop(String why, int code) {
        stopping = true;
        exitCode = code;
        stopDeadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        long alive = slots.stream().filter(s -> s.worker != null).count();
        LOG.info(why + ": stopping " + alive + " workers (timeout " + Setting.format(config.shutdownTimeout()) + ")");
        forEachAlive(WorkerProcess::drain);
    }

    private void killStragglers() {
        if (killedAtDeadline || System.nanoTime() - stopDeadline < 0) {
            return;
        }
        killedAtDeadline = true;
        forEachAlive(w -> {
            LOG.warning(w.name() + " still running after " + Setting.format(config.shutdownTimeout()) + ": SIGKILL");
            w.kill("shutdown timeout");
        });
    }

    private void announceReadiness() {
        if (!announcedReady && slots.stream().allMatch(s -> s.worker != null
                && s.worker.state == WorkerProcess.State.READY)) {
            announcedReady = true;
            LOG.info("all " + slots.size() + " workers ready on " + config.worker().host() + ":"
                    + config.worker().port());
        }
    }

    private boolean noneAlive() {
        return slots.stream().noneMatch(s -> s.worker != null);
    }

    private void forEachAlive(java.util.function.Consumer<WorkerProcess> action) {
        for (Slot slot : slots) {
            if (slot.worker != null && slot.worker.alive()) {
                action.accept(slot.worker);
            }
        }
    }

    private Slot slotOf(WorkerProcess w) {
        return w.slot < slots.size() && slots.get(w.slot).worker == w ? slots.get(w.slot) : null;
    }
}
