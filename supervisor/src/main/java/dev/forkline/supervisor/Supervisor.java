package dev.forkline.supervisor;

import dev.forkline.logging.Log;
import dev.forkline.os.ExitCodes;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The master process's state machine (Gunicorn's arbiter, Unicorn's master). On each turn of the
 * loop ({@link SupervisorLoop}) it handles the events that arrived, then kills hung workers, moves a
 * reload along, fills empty slots (promoting a standby, or spawning) and keeps the standbys. Its
 * phase changes only in {@link #transition}; the worker table, the reload, the respawn policy, the
 * standbys, the watchdog and the stop are classes of their own.
 * Processes and time are injected ({@link Launcher}, {@link Clock}): it runs without either in tests.
 */
final class Supervisor implements Event.Handler {
    private static final Log LOG = Log.get(Supervisor.class);

    private final Clock clock;
    private final WorkerTable table;
    private final RespawnPolicy respawn;
    private final Standbys standbys;
    private final Reload reload;
    private final Watchdog watchdog;
    private final Shutdown shutdown;
    private final PortGroup ports;
    private final long startedNanos;
    private final long startedEpochMillis;
    private Phase phase = Phase.STARTING;
    private boolean readyAnnounced;

    /**
     * @throws dev.forkline.config.ConfigException if the application's copy is not loadable
     * @throws java.io.UncheckedIOException if the application cannot be copied
     */
    Supervisor(SupervisorConfig config, Clock clock, Launcher launcher, Reload.ConfigSource configSource,
               AppSnapshots apps) {
        this(config, clock, launcher, configSource, apps, PortGroup.ALONE);
    }

    /** @param ports who may share our ports: nobody, or the Forkline this one takes over */
    Supervisor(SupervisorConfig config, Clock clock, Launcher launcher, Reload.ConfigSource configSource,
               AppSnapshots apps, PortGroup ports) {
        this.clock = clock;
        this.ports = ports;
        this.table = new WorkerTable(launcher, clock);
        this.respawn = new RespawnPolicy(table, clock);
        this.standbys = new Standbys(table, respawn, clock);
        this.watchdog = new Watchdog(table, clock);
        this.shutdown = new Shutdown(table, clock);
        this.reload = new Reload(config, apps, table, respawn, clock, configSource);
        this.startedNanos = clock.nanos();
        this.startedEpochMillis = clock.epochMillis();
        table.resize(config.workers(), reload.current());
    }

    void start() {
        respawn.spawnMissing(standbys);
    }

    /**
     * One turn of the loop: every event that arrived, then the timers. Timers run only once the
     * queue is empty, so that no worker is judged while its heartbeat still waits in the queue.
     */
    void turn(List<Event> events) {
        watchdog.turn();
        for (Event e : events) {
            e.accept(this);
            settle(); // the next event of the batch finds the phase that follows from this one
        }
        Runnable timers = switch (phase) {
            case STARTING, RUNNING, RELOADING, ROLLING_BACK -> () -> {
                watchdog.check();
                reload.advance();
                respawn.spawnMissing(standbys);
                if (phase != Phase.STARTING) {
                    standbys.maintain(reload.current()); // not during the first start: they would slow it
                }
            };
            case STOPPING -> shutdown::tick;
            case STOPPED -> () -> { };
        };
        timers.run();
        settle();
        reload.retainApps();
        if (phase == Phase.STOPPED) {
            reload.closeApps();
        }
    }

    Phase phase() {
        return phase;
    }

    int exitCode() {
        return shutdown.exitCode();
    }

    private boolean stopping() {
        return phase == Phase.STOPPING || phase == Phase.STOPPED;
    }

    /** The one place where the phase changes. */
    private void transition(Phase to) {
        if (!phase.mayBecome(to)) {
            throw new IllegalStateException("the supervisor cannot go from " + phase + " to " + to);
        }
        phase = to;
    }

    /** The transitions that follow from the state itself: all ready, a reload over, nobody left. */
    private void settle() {
        if (!readyAnnounced && !stopping() && table.readyCount() == table.size()) {
            readyAnnounced = true; // once at start, and once after each change of the worker count
            SupervisorConfig c = reload.current().config();
            String listen = table.listen(c);
            LOG.info("all_ready").with("workers", table.size()).with("listen", listen)
                    .log((table.size() == 1 ? "the 1 worker is" : "all " + table.size() + " workers") + " ready on " + listen);
            if (phase == Phase.STARTING) {
                java.util.Optional<PortGroup.Halt> halt = sharedApplicationPort();
                if (halt.isPresent()) {
                    stop(halt.get().trigger(), halt.get().exitCode());
                    return;
                }
                transition(Phase.RUNNING);
                ports.started();
            }
        }
        if (phase == Phase.RELOADING && reload.rollingBack()) {
            transition(Phase.ROLLING_BACK);
        }
        if ((phase == Phase.RELOADING || phase == Phase.ROLLING_BACK) && !reload.underWay()) {
            transition(Phase.RUNNING);
        }
        reload.settle();
        if (phase == Phase.STOPPING && table.noneAlive()) {
            transition(Phase.STOPPED);
            shutdown.finished();
        }
    }

    @Override
    public void onSignal(Event.SignalReceived e) {
        String name = "SIG" + e.sig();
        Runnable action = switch (e.sig()) {
            case INT, TERM -> () -> {
                if (stopping()) {
                    shutdown.now(name);
                } else {
                    stop(name, ExitCodes.OK);
                }
            };
            case HUP -> () -> startReload(name, null);
            case TTIN -> () -> scale(table.size() + 1, name);
            case TTOU -> () -> scale(table.size() - 1, name);
        };
        try {
            action.run();
        } catch (Event.Refused r) {
            if (r.lastReload == null) { // a refused reload has said so already (reload_refused)
                LOG.warn("signal_ignored").with("signal", e.sig().name()).with("reason", r.getMessage())
                        .log(name + " ignored: " + r.getMessage());
            }
        }
    }

    @Override
    public void onReload(Event.Action.Reload r, CompletableFuture<String> reply) {
        answer(reply, () -> {
            int target = startReload("admin request", r.waitForCompletion() ? reply : null);
            return r.waitForCompletion() ? null : "{\"reloading\":true,\"generation\":" + target + "}";
        });
    }

    @Override
    public void onScale(Event.Action.Scale s, CompletableFuture<String> reply) {
        answer(reply, () -> {
            scale(s.workers(), "admin request");
            return "{\"workers\":" + table.size() + "}";
        });
    }

    @Override
    public void onStop(Event.Action.Stop s, CompletableFuture<String> reply) {
        answer(reply, () -> {
            if (stopping()) {
                throw new Event.Refused("already stopping");
            }
            stop(s.successor() == 0 ? "stop request" : "stop request from supervisor pid " + s.successor()
                    + ", which takes over", ExitCodes.OK);
            return "{\"stopping\":true}";
        });
    }

    /** Completes an admin command with its body (null: completed later, by the reload), or why not. */
    private static void answer(CompletableFuture<String> reply, java.util.function.Supplier<String> command) {
        try {
            String body = command.get();
            if (body != null) {
                reply.complete(body);
            }
        } catch (Event.Refused e) {
            reply.completeExceptionally(e);
        }
    }

    @Override
    public void onReady(Event.Ready e) {
        Worker w = table.find(e.worker());
        if (w == null) {
            return;
        }
        w.listening = e.message().listening();
        switch (w.role) {
            case SERVING, RETIRING -> watchdog.ready(w);
            case INCOMING -> {
                watchdog.ready(w);
                reload.takeOver(w);
            }
            case STANDBY -> {
                // It listens without having been promoted (it does not know standby mode): it would
                // take connections outside any slot.
                w.about(LOG.warn("unexpected_message")).with("message", "ready")
                        .log(w.name() + " listens though it was started as a standby: it goes");
                table.retire(w, "a standby that listens");
            }
        }
    }

    @Override
    public void onBooted(Event.Booted e) {
        Worker w = table.find(e.worker());
        if (w != null) {
            watchdog.booted(w, e.message().held());
        }
    }

    @Override
    public void onHeartbeat(Event.Heartbeat e) {
        Worker w = table.find(e.worker());
        if (w != null) {
            watchdog.heartbeat(w, e.sentNanos());
            w.rates = Rates.between(w.stats, e.stats(), w.rates);
            w.stats = e.stats();
        }
    }

    @Override
    public void onFatal(Event.Fatal e) {
        Worker w = table.find(e.worker());
        if (w != null) {
            w.fatalReason = e.reason();
        }
    }

    @Override
    public void onUnexpected(Event.Unexpected e) {
        LOG.warn("unexpected_message").with("pid", e.worker().pid()).with("message", String.valueOf(e.message()))
                .log("pid " + e.worker().pid() + " sent an unexpected message: " + e.message());
    }

    @Override
    public void onExit(Event.Exited e) {
        Worker w = table.find(e.worker());
        if (w == null) {
            return;
        }
        table.remove(w);
        table.timeline.add("exit", w, "exited with " + ExitCodes.describe(e.exitValue())
                + (w.killedBecause != null ? " (" + w.killedBecause + ")" : ""));
        if (stopping()) {
            shutdown.exited(w, e.exitValue());
            return;
        }
        switch (respawn.judge(w, e.exitValue(), phase, reload.current().config().minUptime(),
                reload.isNew(w.generation))) {
            case DRAINED -> { }
            case HALT -> stop("a worker boot error", e.exitValue());
            case ABANDON_RELOAD -> reload.abandon(w.name() + " of generation " + w.generationNumber()
                    + " could not boot: " + RespawnPolicy.bootFailure(w, e.exitValue()), w.slot);
            case RESPAWN -> {
                if (w.role == Role.INCOMING) {
                    reload.incomingFailed(w, e.exitValue());
                }
            }
        }
    }

    /** HUP, POST /reload. Returns the generation the reload moves to. */
    private int startReload(String why, CompletableFuture<String> waiter) {
        if (stopping()) {
            throw reload.refuse("reload refused: the supervisor is stopping");
        }
        if (reload.underWay() && !reload.rollingBack()) {
            return reload.join(why, waiter);
        }
        if (phase == Phase.STARTING) {
            // Its boot errors still halt, and a reload would mix a second generation into that.
            throw reload.refuse("reload refused: the supervisor is still starting (" + table.readyCount() + " of "
                    + table.size() + " workers ready); reload once it runs, or restart it");
        }
        int configured = reload.current().config().workers();
        Generation next = reload.begin(why, waiter); // a rollback under way gives way to it
        transition(Phase.RELOADING);
        // Scaling (TTIN/TTOU, POST /workers) persists across reloads unless FORKLINE_WORKERS changed.
        int wanted = next.config().workers();
        if (wanted != configured) {
            // New slots start with the new generation: an old-generation worker would boot, serve,
            // then be replaced by this same reload.
            scale(wanted, next, "FORKLINE_WORKERS changed from " + configured + " to " + wanted);
        } else if (wanted != table.size()) {
            LOG.info("scale_kept").with("workers", table.size()).with("configured", wanted)
                    .log("FORKLINE_WORKERS is still " + wanted + ": keeping the " + table.size() + " workers set by scaling");
        }
        return next.number();
    }

    /** TTIN/TTOU and POST /workers: add slots, or drain the highest ones away. */
    private void scale(int workers, String why) {
        scale(workers, reload.current(), why);
    }

    /** Scaling whose new slots start with {@code generation}. */
    private void scale(int workers, Generation generation, String why) {
        if (stopping()) {
            throw new Event.Refused("the supervisor is stopping");
        }
        if (table.scaleTo(workers, generation, why)) {
            readyAnnounced = false;
        }
    }

    /**
     * The built-in server's ports are checked before any worker starts (a plain bind); an
     * application's are known only once its workers are ready: {@link PortGroup} decides who else
     * may listen on them.
     */
    private java.util.Optional<PortGroup.Halt> sharedApplicationPort() {
        if (reload.current().config().app().isEmpty()) {
            return java.util.Optional.empty();
        }
        java.util.Set<Long> ours = new java.util.HashSet<>();
        table.live().forEach(w -> ours.add(w.pid));
        java.util.Set<String> addresses = new java.util.TreeSet<>();
        table.withRole(Role.SERVING).forEach(w -> addresses.addAll(w.listening == null ? List.of() : w.listening));
        return ports.check(addresses, ours);
    }

    /** INT/TERM, POST /stop, a boot error of the first start. */
    private void stop(String why, int code) {
        transition(Phase.STOPPING);
        reload.cancel("the supervisor is stopping");
        shutdown.begin(why, code, reload.current().config().shutdownTimeout());
    }

    /** The worker table, for the simulation's invariants. */
    WorkerTable table() {
        return table;
    }

    /** What the loop knows, for the admin API. */
    Snapshot snapshot() {
        return Snapshot.of(table, phase, reload, respawn, clock, startedNanos, startedEpochMillis);
    }
}
