package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.logging.Logs;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.os.ExitCodes;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The master process. Its loop is Gunicorn's arbiter and Unicorn's master: wait for an event, act
 * on it, kill hung workers, move a reload along, spawn missing workers. Everything else (signal
 * handlers, the threads that read worker pipes, the admin API) only enqueues events, so all state
 * here belongs to one thread; the admin API reads the {@link Snapshot} published after each turn.
 */
final class Supervisor {
    private static final Logger LOG = Logger.getLogger(Supervisor.class.getName());
    private static final long TICK_MILLIS = 100;
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);
    /** A draining worker gets this long beyond FORKLINE_DRAIN_TIMEOUT before SIGKILL. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
    /** A reload whose new workers crash this many times in a row at start is abandoned. */
    private static final int RELOAD_ATTEMPTS = 3;

    /** Reads the configuration again, for a reload. */
    interface ConfigSource {
        SupervisorConfig load() throws Exception;
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AppSnapshots apps;
    private final WorkerLauncher launcher;
    private final ConfigSource configSource;
    private final List<Slot> slots = new ArrayList<>();
    private final List<WorkerProcess> retiring = new ArrayList<>();
    private final Map<String, Long> restartsByReason = new TreeMap<>();
    private final long startedNanos = System.nanoTime();
    private final long startedEpochMillis = System.currentTimeMillis();
    /** Recent events for the views (GET /events, top, the dashboard). */
    private final Timeline timeline = new Timeline();

    private SupervisorConfig config;
    private int generation = 1;
    private Reload reload;
    private long reloads;
    private Snapshot.Totals exited = Snapshot.Totals.ZERO;
    private boolean announcedReady;
    private boolean stopping;
    private long stopDeadline;
    private boolean killedAtDeadline;
    private int exitCode = ExitCodes.OK;

    private volatile Snapshot snapshot;
    private volatile long lastTurnNanos = System.nanoTime();

    /** A place for one worker; its worker is replaced when it dies or reloads, the slot stays. */
    private static final class Slot {
        final int index;
        /** The worker that holds the slot (serving, or starting after a respawn). */
        WorkerProcess worker;
        /** During a reload: the next generation's worker, until it is ready and takes the slot. */
        WorkerProcess incoming;
        /** Generation and configuration a respawn of this slot uses. */
        int generation;
        SupervisorConfig config;
        int restarts;
        int crashStreak;
        long respawnAtNanos;
        String lastExit = "";

        Slot(int index, int generation, SupervisorConfig config) {
            this.index = index;
            this.generation = generation;
            this.config = config;
        }
    }

    /** A rolling reload in progress: every slot moves to {@code generation}, one slot at a time. */
    private static final class Reload {
        final int generation;
        final SupervisorConfig config;
        final long startedNanos = System.nanoTime();
        final List<CompletableFuture<String>> waiters = new ArrayList<>();
        int failedStarts;

        Reload(int generation, SupervisorConfig config) {
            this.generation = generation;
            this.config = config;
        }
    }

    /** Why a worker is respawned; each is exported from the start, at 0 (Prometheus practice). */
    static final List<String> RESTART_REASONS = List.of("crash", "signal", "hung", "boot_timeout", "out_of_memory", "exit");

    Supervisor(SupervisorConfig config, ConfigSource configSource, AppSnapshots apps) {
        this.config = config;
        this.configSource = configSource;
        this.apps = apps;
        this.launcher = new WorkerLauncher(events::add, apps::of);
        config.app().ifPresent(app -> apps.take(generation, app));
        RESTART_REASONS.forEach(r -> restartsByReason.put(r, 0L));
        for (int i = 0; i < config.workers(); i++) {
            slots.add(new Slot(i, generation, config));
        }
        publishSnapshot();
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
        spawnMissingWorkers();
        while (!(stopping && noneAlive())) {
            Event event = events.poll(TICK_MILLIS, TimeUnit.MILLISECONDS);
            if (event != null) {
                dispatch(event);
            }
            if (stopping) {
                killStragglers();
            } else {
                killHungWorkers();
                advanceReload();
                spawnMissingWorkers();
            }
            apps.retain(generationsInUse());
            publishSnapshot();
        }
        apps.close();
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
        } else if (event instanceof Event.Command c) {
            onCommand(c.action(), c.reply());
        }
    }

    private void onSignal(String name) {
        try {
            switch (name) {
                case "INT", "TERM" -> {
                    if (stopping) {
                        LOG.info("SIG" + name + " again: closing every connection now");
                        forEachLiveWorker(w -> w.send(new ControlMessage.Stop()));
                    } else {
                        stop("SIG" + name, ExitCodes.OK);
                    }
                }
                case "HUP" -> startReload("SIGHUP", null);
                case "TTIN" -> scale(slots.size() + 1, "SIGTTIN");
                case "TTOU" -> scale(slots.size() - 1, "SIGTTOU");
                default -> LOG.warning("SIG" + name + " ignored");
            }
        } catch (Event.Refused e) {
            LOG.warning("SIG" + name + " ignored: " + e.getMessage());
        }
    }

    private void onCommand(Event.Action action, CompletableFuture<String> reply) {
        try {
            if (action instanceof Event.Action.Reload r) {
                int target = startReload("admin request", r.waitForCompletion() ? reply : null);
                if (!r.waitForCompletion()) {
                    reply.complete("{\"reloading\":true,\"generation\":" + target + "}");
                }
            } else if (action instanceof Event.Action.Scale s) {
                scale(s.workers(), "admin request");
                reply.complete("{\"workers\":" + slots.size() + "}");
            } else if (action instanceof Event.Action.Stop) {
                if (stopping) {
                    throw new Event.Refused("already stopping");
                }
                reply.complete("{\"stopping\":true}");
                stop("stop request", ExitCodes.OK);
            }
        } catch (Event.Refused e) {
            reply.completeExceptionally(e);
        }
    }

    private void onMessage(WorkerProcess w, ControlMessage message) {
        if (message instanceof ControlMessage.Ready) {
            long now = System.nanoTime();
            if (w.state == WorkerProcess.State.STARTING) {
                w.state = WorkerProcess.State.READY;
            }
            w.lastHeartbeatNanos = now;
            w.listening = ((ControlMessage.Ready) message).listening();
            w.wasReady = true;
            LOG.info(w.name() + " ready in " + TimeUnit.NANOSECONDS.toMillis(now - w.startedNanos)
                    + " ms (generation " + w.generation + ", listening on " + String.join(", ", w.listening) + ")");
            timeline.add("ready", w, "ready in " + TimeUnit.NANOSECONDS.toMillis(now - w.startedNanos) + " ms");
            Slot slot = slotOf(w);
            if (slot != null && slot.incoming == w) {
                takeOver(slot, w);
            }
            // The crash streak is not reset here: a worker that is ready and then dies young is
            // still crash-looping. Only a run of FORKLINE_MIN_UPTIME resets it (scheduleRespawn).
            announceReadiness();
        } else if (message instanceof ControlMessage.Heartbeat h) {
            w.lastHeartbeatNanos = System.nanoTime();
            w.rates = Rates.between(w.stats, h.stats(), w.rates);
            w.stats = h.stats();
        } else if (message instanceof ControlMessage.Fatal f) {
            w.fatalReason = f.reason();
        } else {
            LOG.warning(w.name() + " sent an unexpected message: " + message);
        }
    }

    /** A worker process ended: account for it, and respawn it unless that was expected. */
    private void reap(WorkerProcess w, int exitValue) {
        w.state = WorkerProcess.State.EXITED;
        exited = exited.plus(w.stats);
        String how = ExitCodes.describe(exitValue);
        timeline.add("exit", w, "exited with " + how + (w.killedBecause != null ? " (" + w.killedBecause + ")" : ""));
        if (retiring.remove(w)) {
            LOG.info(w.name() + " exited with " + how + " (generation " + w.generation + ", drained)");
            return;
        }
        Slot slot = slotOf(w);
        if (slot == null) {
            LOG.info(w.name() + " exited with " + how);
            return;
        }
        boolean wasIncoming = slot.incoming == w;
        if (wasIncoming) {
            slot.incoming = null;
        } else {
            slot.worker = null;
        }
        slot.lastExit = (w.killedBecause != null ? w.killedBecause + ", " : "") + how;
        if (stopping) {
            LOG.info(w.name() + " exited with " + how);
            return;
        }
        // 2 and 4 mean "cannot boot" only from a worker that never became ready; from a ready one
        // (an application calling System.exit(2)) they are a crash like any other, and it is respawned.
        if ((exitValue == ExitCodes.BOOT || exitValue == ExitCodes.CONFIG) && !w.wasReady) {
            String reason = w.fatalReason != null ? w.fatalReason : "exited with " + how + " before it was ready";
            if (wasIncoming && reload != null) {
                abortReload(w.name() + " of generation " + w.generation + " could not boot: " + reason);
                return;
            }
            LOG.severe(w.name() + " could not boot: " + reason + "; halting (a respawn would fail the same way)");
            stop("a worker boot error", exitValue);
            return;
        }
        String cause = restartReason(w, exitValue);
        LOG.warning(w.name() + " exited unexpectedly with " + how
                + (w.killedBecause != null ? " (" + w.killedBecause + ")" : ""));
        restartsByReason.merge(cause, 1L, Long::sum);
        scheduleRespawn(slot, w);
        if (wasIncoming && reload != null && ++reload.failedStarts >= RELOAD_ATTEMPTS) {
            abortReload("generation " + reload.generation + " failed to start " + RELOAD_ATTEMPTS + " times");
        }
    }

    private static String restartReason(WorkerProcess w, int exitValue) {
        if (w.killedBecause != null) {
            return w.killedBecause.replace(' ', '_');
        }
        if (exitValue == ExitCodes.OUT_OF_MEMORY) {
            return "out_of_memory";
        }
        if (ExitCodes.bySignal(exitValue)) {
            return "signal";
        }
        return exitValue == 0 ? "exit" : "crash";
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
        Duration delay = backoff(slot.crashStreak);
        slot.respawnAtNanos = now + delay.toNanos();
        LOG.warning("worker " + slot.index + " died " + uptime.toMillis() + " ms after start (crash "
                + slot.crashStreak + " in a row): respawning in " + delay.toMillis() + " ms");
    }

    /** The delay before respawning after {@code crashes} early deaths in a row (1, 2, ...). */
    static Duration backoff(int crashes) {
        Duration delay = FIRST_BACKOFF.multipliedBy(1L << Math.min(Math.max(crashes, 1) - 1, 20));
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }

    private void killHungWorkers() {
        long now = System.nanoTime();
        for (Slot slot : slots) {
            killIfHung(slot.worker, now);
            killIfHung(slot.incoming, now);
        }
        long drainLimit = config.worker().drainTimeout().plus(DRAIN_GRACE).toNanos();
        for (WorkerProcess w : retiring) {
            if (w.killedBecause == null && now - w.drainStartedNanos > drainLimit) {
                LOG.warning(w.name() + " still draining after " + Setting.format(config.worker().drainTimeout())
                        + " + " + Setting.format(DRAIN_GRACE) + ": SIGKILL");
                w.kill("drain timeout");
                timeline.add("kill", w, "SIGKILL: still draining after the drain timeout");
            }
        }
    }

    private void killIfHung(WorkerProcess w, long now) {
        if (w == null || w.killedBecause != null) {
            return;
        }
        if (w.state == WorkerProcess.State.STARTING && now - w.startedNanos > config.bootTimeout().toNanos()) {
            LOG.warning(w.name() + " not ready after " + Setting.format(config.bootTimeout()) + ": SIGKILL");
            w.kill("boot timeout");
            timeline.add("kill", w, "SIGKILL: not ready after " + Setting.format(config.bootTimeout()));
        } else if (w.state == WorkerProcess.State.READY
                && now - w.lastHeartbeatNanos > config.workerTimeout().toNanos()) {
            LOG.warning(w.name() + " hung (no heartbeat for "
                    + TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos) + " ms): SIGKILL");
            w.kill("hung");
            timeline.add("kill", w, "SIGKILL: hung, no heartbeat for "
                    + TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos) + " ms");
        }
    }

    private void spawnMissingWorkers() {
        long now = System.nanoTime();
        for (Slot slot : slots) {
            if (slot.worker == null && slot.incoming == null && now - slot.respawnAtNanos >= 0) {
                if (reload != null) {
                    slot.generation = reload.generation;
                    slot.config = reload.config;
                }
                spawn(slot);
            }
        }
    }

    private void spawn(Slot slot) {
        boolean respawn = !slot.lastExit.isEmpty();
        try {
            WorkerProcess w = launcher.spawn(slot.index, slot.generation, slot.config);
            slot.worker = w;
            if (respawn) {
                slot.restarts++;
                LOG.info("worker " + slot.index + " respawned as pid " + w.pid + " (generation " + w.generation
                        + ", restart " + slot.restarts + ", last exit: " + slot.lastExit + ")");
                timeline.add("respawn", w, "respawned (restart " + slot.restarts + ", last exit: " + slot.lastExit + ")");
            } else {
                LOG.info(w.name() + " spawned (generation " + w.generation + ")");
                timeline.add("spawn", w, "spawned");
            }
        } catch (IOException e) {
            LOG.severe("cannot start worker " + slot.index + ": " + e.getMessage());
            slot.lastExit = "could not start: " + e.getMessage();
            slot.respawnAtNanos = System.nanoTime() + MAX_BACKOFF.toNanos();
        }
    }

    /**
     * Zero-downtime reload (SIGHUP, POST /reload): read the configuration again, then slot by slot
     * start the next generation's worker, wait for its {@code ready}, and only then drain the old
     * one. The listening port never has fewer listeners than before. Returns the target generation.
     */
    private int startReload(String why, CompletableFuture<String> waiter) {
        if (stopping) {
            throw new Event.Refused("the supervisor is stopping");
        }
        if (reload != null) {
            LOG.info(why + ": a reload to generation " + reload.generation + " is already under way");
            if (waiter != null) {
                reload.waiters.add(waiter);
            }
            return reload.generation;
        }
        SupervisorConfig next = reloadedConfig();
        next.app().ifPresent(app -> {
            try {
                apps.take(generation + 1, app);
            } catch (ConfigException e) {
                throw refuse("reload refused, the application cannot be loaded: " + e.getMessage());
            } catch (java.io.UncheckedIOException e) {
                throw refuse("reload refused: " + e.getMessage());
            }
        });
        generation++;
        reload = new Reload(generation, next);
        reloads++;
        if (waiter != null) {
            reload.waiters.add(waiter);
        }
        LOG.info(why + ": reloading to generation " + generation + ", one slot at a time");
        timeline.add("reload", -1, -1, generation, why + ": reloading to generation " + generation);
        if (next.workers() != slots.size()) {
            scale(next.workers(), "reloaded configuration");
        }
        return generation;
    }

    private SupervisorConfig reloadedConfig() {
        SupervisorConfig next;
        try {
            next = configSource.load();
        } catch (ConfigException e) {
            throw refuse("reload refused, the configuration is invalid: " + e.getMessage());
        } catch (Exception e) {
            throw refuse("reload refused, cannot read the configuration: " + e);
        }
        String listen = AdminConfig.hostPort(config.worker().host(), config.worker().port());
        String nextListen = AdminConfig.hostPort(next.worker().host(), next.worker().port());
        // The built-in server's address: an application's ports are its own (its config), and its new
        // workers bind wherever it now says while the old ones drain.
        if (config.app().isEmpty() && next.app().isEmpty() && !listen.equals(nextListen)) {
            throw refuse("reload refused: FORKLINE_HOST/FORKLINE_PORT changed from " + listen + " to " + nextListen
                    + "; a reload keeps the listening address, restart to move it");
        }
        if (!next.admin().equals(config.admin())) {
            LOG.warning("reload: FORKLINE_ADMIN_* changed; the admin API keeps its settings until a restart");
        }
        return next;
    }

    private Event.Refused refuse(String message) {
        LOG.severe(message);
        return new Event.Refused(message);
    }

    private void advanceReload() {
        if (reload == null) {
            return;
        }
        for (Slot slot : slots) {
            if (slot.incoming != null) {
                return; // one slot at a time
            }
        }
        long now = System.nanoTime();
        for (Slot slot : slots) {
            if (slot.generation < reload.generation) {
                if (now - slot.respawnAtNanos >= 0) {
                    spawnIncoming(slot);
                }
                return;
            }
        }
        finishReload();
    }

    private void spawnIncoming(Slot slot) {
        try {
            WorkerProcess w = launcher.spawn(slot.index, reload.generation, reload.config);
            slot.incoming = w;
            LOG.info(w.name() + " spawned (generation " + w.generation + ", to replace "
                    + (slot.worker != null ? "pid " + slot.worker.pid : "an empty slot") + ")");
            timeline.add("spawn", w, "spawned to replace " + (slot.worker != null ? "pid " + slot.worker.pid : "an empty slot"));
        } catch (IOException e) {
            abortReload("cannot start worker " + slot.index + ": " + e.getMessage());
        }
    }

    /** The incoming worker is ready: it takes the slot, and the old one drains. */
    private void takeOver(Slot slot, WorkerProcess incoming) {
        WorkerProcess old = slot.worker;
        slot.worker = incoming;
        slot.incoming = null;
        slot.generation = incoming.generation;
        slot.config = reload != null ? reload.config : slot.config;
        if (old != null) {
            retire(old, "replaced by pid " + incoming.pid + " of generation " + incoming.generation);
        }
        if (reload != null) {
            timeline.add("reload_step", incoming, "took over slot " + slot.index
                    + (old != null ? " from pid " + old.pid : "") + " (" + reloadProgress().done() + "/" + slots.size() + ")");
        }
    }

    private void finishReload() {
        config = reload.config;
        Logs.setLevel(config.logLevel());
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - reload.startedNanos);
        LOG.info("reload to generation " + reload.generation + " complete in " + ms + " ms");
        timeline.add("reload_done", -1, -1, reload.generation, "reload to generation " + reload.generation
                + " complete in " + ms + " ms");
        String body = "{\"reloaded\":true,\"generation\":" + reload.generation + ",\"millis\":" + ms + "}";
        reload.waiters.forEach(w -> w.complete(body));
        reload = null;
    }

    private void abortReload(String why) {
        LOG.severe("reload to generation " + reload.generation + " abandoned: " + why
                + "; workers not yet replaced keep serving");
        timeline.add("reload_failed", -1, -1, reload.generation, "reload abandoned: " + why);
        Event.Refused refused = new Event.Refused("reload abandoned: " + why);
        reload.waiters.forEach(w -> w.completeExceptionally(refused));
        for (Slot slot : slots) {
            if (slot.incoming != null) {
                slot.incoming.kill("reload abandoned");
                retiring.add(slot.incoming);
                slot.incoming = null;
            }
        }
        reload = null;
    }

    /** TTIN/TTOU and POST /workers: add slots, or drain the highest ones away. */
    private void scale(int workers, String why) {
        if (stopping) {
            throw new Event.Refused("the supervisor is stopping");
        }
        if (workers < 1 || workers > SupervisorConfig.MAX_WORKERS) {
            throw new Event.Refused("workers must be from 1 to " + SupervisorConfig.MAX_WORKERS + ", not " + workers);
        }
        if (workers == slots.size()) {
            return;
        }
        LOG.info(why + ": scaling from " + slots.size() + " to " + workers + " workers");
        timeline.add("scale", -1, -1, generation, why + ": scaling from " + slots.size() + " to " + workers + " workers");
        int gen = reload != null ? reload.generation : generation;
        SupervisorConfig cfg = reload != null ? reload.config : config;
        while (slots.size() < workers) {
            slots.add(new Slot(slots.size(), gen, cfg));
        }
        while (slots.size() > workers) {
            Slot gone = slots.remove(slots.size() - 1);
            if (gone.worker != null) {
                retire(gone.worker, "scaled down");
            }
            if (gone.incoming != null) {
                retire(gone.incoming, "scaled down");
            }
        }
        announcedReady = false;
    }

    private void retire(WorkerProcess w, String why) {
        LOG.info(w.name() + " draining (" + why + ")");
        timeline.add("drain", w, "draining (" + why + ")");
        w.drain();
        retiring.add(w);
    }

    /** INT/TERM: drain every worker (command first, SIGTERM fallback), SIGKILL what is left at the timeout. */
    private void stop(String why, int code) {
        stopping = true;
        exitCode = code;
        stopDeadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        if (reload != null) {
            Event.Refused refused = new Event.Refused("the supervisor is stopping");
            reload.waiters.forEach(w -> w.completeExceptionally(refused));
            reload = null;
        }
        List<WorkerProcess> live = liveWorkers();
        LOG.info(why + ": stopping " + live.size() + " workers (timeout " + Setting.format(config.shutdownTimeout()) + ")");
        timeline.add("stop", -1, -1, generation, why + ": stopping " + live.size() + " workers");
        live.forEach(WorkerProcess::drain);
    }

    private void killStragglers() {
        if (killedAtDeadline || System.nanoTime() - stopDeadline < 0) {
            return;
        }
        killedAtDeadline = true;
        forEachLiveWorker(w -> {
            LOG.warning(w.name() + " still running after " + Setting.format(config.shutdownTimeout()) + ": SIGKILL");
            w.kill("shutdown timeout");
            timeline.add("kill", w, "SIGKILL: still running after the shutdown timeout");
        });
    }

    private void announceReadiness() {
        if (!announcedReady && slots.stream().allMatch(s -> s.worker != null
                && s.worker.state == WorkerProcess.State.READY)) {
            announcedReady = true;
            LOG.info("all " + slots.size() + " workers ready on " + listen());
            if (config.app().isPresent() && reloads == 0) {
                refuseSharedPorts();
            }
        }
    }

    /**
     * An application's ports are bound with SO_REUSEPORT in every worker, so another process of the
     * same user that listens the same way (a second Forkline running the same app, by mistake) would
     * silently share its connections. The built-in server's ports are checked before any worker starts
     * (a plain bind); an application's are known only now: any listener on them that is not one of
     * our workers halts the start, as a taken port does.
     */
    private void refuseSharedPorts() {
        java.util.Set<Long> ours = new java.util.HashSet<>();
        liveWorkers().forEach(w -> ours.add(w.pid));
        java.util.Set<Integer> ports = new java.util.TreeSet<>();
        for (Slot slot : slots) {
            if (slot.worker != null && slot.worker.listening != null) {
                for (String address : slot.worker.listening) {
                    ports.add(Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)));
                }
            }
        }
        for (int port : ports) {
            java.util.Set<Long> others = new java.util.TreeSet<>(PortOwner.listenerPids(port));
            others.removeAll(ours);
            if (!others.isEmpty()) {
                long other = others.iterator().next();
                String who = PortOwner.forklineSupervisor(port).filter(pid -> pid != ProcessHandle.current().pid())
                        .map(pid -> "Forkline supervisor pid " + pid).orElse("pid " + other + " (" + PortOwner.command(other) + ")");
                LOG.severe("the application's port " + port + " is also listened on by " + who
                        + ", with SO_REUSEPORT: the kernel would split the connections between it and us; stop it"
                        + " or give the application another port; halting");
                stop("a shared application port", ExitCodes.BOOT);
                return;
            }
        }
    }

    /** Where the workers listen: the built-in server's address, or what the application's workers bound. */
    private String listen() {
        if (config.app().isEmpty()) {
            return AdminConfig.hostPort(config.worker().host(), config.worker().port());
        }
        for (Slot slot : slots) {
            if (slot.worker != null && slot.worker.listening != null) {
                return String.join(", ", slot.worker.listening);
            }
        }
        return "(application not ready)";
    }

    /** Generations a live worker runs, or a slot would be (re)spawned with: their application copies stay. */
    private java.util.Set<Integer> generationsInUse() {
        java.util.Set<Integer> inUse = new java.util.HashSet<>();
        inUse.add(generation);
        if (reload != null) {
            inUse.add(reload.generation);
        }
        for (Slot slot : slots) {
            inUse.add(slot.generation);
        }
        liveWorkers().forEach(w -> inUse.add(w.generation));
        return inUse;
    }

    private List<WorkerProcess> liveWorkers() {
        List<WorkerProcess> live = new ArrayList<>();
        for (Slot slot : slots) {
            if (slot.worker != null) {
                live.add(slot.worker);
            }
            if (slot.incoming != null) {
                live.add(slot.incoming);
            }
        }
        live.addAll(retiring);
        return live;
    }

    private boolean noneAlive() {
        return liveWorkers().isEmpty();
    }

    private void forEachLiveWorker(Consumer<WorkerProcess> action) {
        liveWorkers().forEach(action);
    }

    private Slot slotOf(WorkerProcess w) {
        if (w.slot < slots.size()) {
            Slot s = slots.get(w.slot);
            if (s.worker == w || s.incoming == w) {
                return s;
            }
        }
        return null;
    }

    private void publishSnapshot() {
        long now = System.nanoTime();
        List<Snapshot.Worker> workers = new ArrayList<>();
        List<String> notReady = new ArrayList<>();
        for (Slot slot : slots) {
            if (slot.worker != null) {
                workers.add(view(slot.worker, "serving", slot, now));
                if (slot.worker.state != WorkerProcess.State.READY) {
                    notReady.add("worker " + slot.index + " pid " + slot.worker.pid + " is "
                            + slot.worker.state.name().toLowerCase(java.util.Locale.ROOT));
                }
            } else {
                notReady.add("worker " + slot.index + " has no process (last exit: " + slot.lastExit + ")");
            }
            if (slot.incoming != null) {
                workers.add(view(slot.incoming, "incoming", slot, now));
            }
        }
        for (WorkerProcess w : retiring) {
            workers.add(view(w, "retiring", null, now));
        }
        String state = stopping ? "stopping" : reload != null ? "reloading" : "running";
        snapshot = new Snapshot(ProcessHandle.current().pid(), startedEpochMillis,
                TimeUnit.NANOSECONDS.toMillis(now - startedNanos), state,
                reload != null ? reload.generation : generation, slots.size(), List.copyOf(workers),
                List.copyOf(notReady), Map.copyOf(restartsByReason), reloads, exited, listen(),
                reload != null ? reloadProgress() : null, timeline.events());
        lastTurnNanos = now;
    }

    /** How far the reload under way is: slots whose worker runs its generation, of all slots. */
    private Snapshot.ReloadProgress reloadProgress() {
        int done = 0;
        for (Slot slot : slots) {
            if (slot.worker != null && slot.worker.generation == reload.generation) {
                done++;
            }
        }
        return new Snapshot.ReloadProgress(reload.generation, done, slots.size());
    }

    private static Snapshot.Worker view(WorkerProcess w, String role, Slot slot, long now) {
        long age = w.lastHeartbeatNanos == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos);
        return new Snapshot.Worker(w.slot, w.pid, w.generation, w.state.name().toLowerCase(java.util.Locale.ROOT),
                role, w.startedEpochMillis, slot == null ? 0 : slot.restarts, slot == null ? "" : slot.lastExit,
                age, w.stats, w.rates);
    }
}
