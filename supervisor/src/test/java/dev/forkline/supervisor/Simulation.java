package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.os.ExitCodes;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.WorkerStats;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A deterministic world for the supervisor's state machine: a fake clock, fake worker processes
 * that boot, send heartbeats, drain, crash and hang as a {@link Scenario} says, and the loop's
 * queue, turned the way {@link SupervisorLoop} turns it. After every turn the {@link Invariants}
 * are checked; a violation is an {@link AssertionError} carrying the scenario's trace.
 */
final class Simulation {
    static final long TICK = TimeUnit.MILLISECONDS.toNanos(SupervisorLoop.TICK_MILLIS);
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** The settings of a scenario's first generation (milliseconds). */
    record Settings(int workers, int heartbeatMs, int workerTimeoutMs, int bootTimeoutMs, int minUptimeMs,
                    int drainMs, int shutdownMs, int standby) {
        /** Without standbys. */
        Settings(int workers, int heartbeatMs, int workerTimeoutMs, int bootTimeoutMs, int minUptimeMs,
                 int drainMs, int shutdownMs) {
            this(workers, heartbeatMs, workerTimeoutMs, bootTimeoutMs, minUptimeMs, drainMs, shutdownMs, 0);
        }

        Settings withStandby(int count) {
            return new Settings(workers, heartbeatMs, workerTimeoutMs, bootTimeoutMs, minUptimeMs, drainMs, shutdownMs, count);
        }

        Map<String, String> values() {
            Map<String, String> v = new LinkedHashMap<>();
            v.put("FORKLINE_WORKERS", Integer.toString(workers));
            v.put("FORKLINE_STANDBY", Integer.toString(standby));
            v.put("FORKLINE_HOST", "127.0.0.1");
            v.put("FORKLINE_PORT", "3000");
            v.put("FORKLINE_HEARTBEAT_INTERVAL", heartbeatMs + "ms");
            v.put("FORKLINE_WORKER_TIMEOUT", workerTimeoutMs + "ms");
            v.put("FORKLINE_BOOT_TIMEOUT", bootTimeoutMs + "ms");
            v.put("FORKLINE_MIN_UPTIME", minUptimeMs + "ms");
            v.put("FORKLINE_DRAIN_TIMEOUT", drainMs + "ms");
            v.put("FORKLINE_SHUTDOWN_TIMEOUT", shutdownMs + "ms");
            return v;
        }
    }

    /** What one spawned process does; drawn in order, one per spawn (the last one repeats). */
    record Fate(Kind kind, int bootMillis, int exitValue, int drainMillis) {
        enum Kind { BOOTS, CRASHES_AT_START, BOOT_ERROR, HANGS_AT_BOOT }

        static Fate boots(int bootMillis) {
            return new Fate(Kind.BOOTS, bootMillis, 0, 50);
        }
    }

    /** What a generation's configuration does to every worker of it. */
    enum GenerationFate { NORMAL, CANNOT_BOOT, CRASHES_AT_START }

    /** What the next read of the configuration (a reload) returns. */
    record NextConfig(Kind kind, int workers) {
        /** STANDBY sets FORKLINE_STANDBY to {@code workers - 1}. */
        enum Kind { SAME, WORKERS, STANDBY, INVALID, MOVES_PORT, CANNOT_BOOT, CRASHES_AT_START }
    }

    /** One thing that happens to the supervisor. */
    sealed interface Step {
    }

    /** {@code ticks} turns of the loop, 100 ms each. */
    record Wait(int ticks) implements Step {
    }

    /** The loop does not turn for a while (a slow config read, a GC); pipes are read meanwhile. */
    record Stall(int ticks) implements Step {
    }

    /** The whole supervisor stops (SIGSTOP, a VM pause): what workers wrote meanwhile is read only after its first turn. */
    record Jump(int ticks) implements Step {
    }

    /** A live process (the {@code pick}-th, modulo) exits with {@code exitValue}. */
    record Crash(int pick, int exitValue) implements Step {
    }

    /** A live process's event loop gets stuck: no heartbeat, no drain. */
    record Hang(int pick) implements Step {
    }

    /** A live process's control pipe breaks: commands fail, the supervisor falls back to signals. */
    record BreakPipe(int pick) implements Step {
    }

    record Signal(Event.Sig sig) implements Step {
    }

    record Scale(int workers) implements Step {
    }

    record ReloadCommand(boolean waitForCompletion) implements Step {
    }

    record StopCommand() implements Step {
    }

    record SetNextConfig(NextConfig next) implements Step {
    }

    /** The next {@code count} spawns fail before a process exists (fork failed, no memory). */
    record SpawnFailures(int count) implements Step {
    }

    record Scenario(Settings settings, GenerationFate firstGeneration, List<Fate> fates, List<Step> steps) {
    }

    /**
     * A fake worker process, as the launcher hands it to the supervisor. A standby (slot
     * {@link Launcher#STANDBY}) sends {@code booted} instead of {@code ready}, and {@code ready} only
     * once it has been sent {@code promote}.
     */
    final class FakeProcess implements Launcher.WorkerHandle {
        final long pid;
        final int slot;
        final int generation;
        final long spawnedAt;
        final Fate fate;
        final boolean standby;
        boolean alive = true;
        /** It reads its commands: ready (or, for a standby, booted). */
        boolean booted;
        long bootedAt = Long.MIN_VALUE;
        /** It listens: it sent ready. */
        boolean ready;
        /** The slot it was promoted into, or null. */
        Integer promotedTo;
        long promotedAt = Long.MIN_VALUE;
        boolean hung;
        boolean pipeBroken;
        boolean draining;
        boolean drainRequested;
        long readySentAt = Long.MIN_VALUE;
        long lastHeartbeatSent = Long.MIN_VALUE;
        long hungSince = Long.MIN_VALUE;
        long requests;
        Integer exitValue;

        FakeProcess(long pid, int slot, int generation, Fate fate) {
            this.pid = pid;
            this.slot = slot;
            this.generation = generation;
            this.spawnedAt = clock.nanos();
            this.fate = fate;
            this.standby = slot == Launcher.STANDBY;
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public boolean send(ControlMessage command) {
            if (!alive || pipeBroken) {
                return false;
            }
            if (command instanceof ControlMessage.Drain) {
                drainRequested();
            } else if (command instanceof ControlMessage.Promote p) {
                invariants.promoted(this, p.slot());
                promotedTo = p.slot();
                promotedAt = clock.nanos();
                if (booted) {
                    listen(this);
                }
            } else if (command instanceof ControlMessage.Stop) {
                if (!hung && booted) {
                    at(clock.nanos() + MS, () -> exit(this, ExitCodes.OK));
                } else {
                    drainRequested = true;
                }
            }
            return true;
        }

        @Override
        public void terminate() {
            if (alive) {
                drainRequested();
            }
        }

        /** Why the supervisor killed it, if it did. */
        String killedFor;

        @Override
        public void kill() {
            Worker w = supervisor.table().find(this);
            invariants.killed(this, w == null ? null : w.killedBecause);
            if (alive && killedFor == null && w != null) {
                killedFor = w.killedBecause;
            }
            if (alive) {
                at(clock.nanos(), () -> exit(this, 128 + 9));
            }
        }

        /** A worker reads its commands only once it is ready or booted (before, they wait in the pipe). */
        private void drainRequested() {
            drainRequested = true;
            if (booted && !hung && !draining) {
                draining = true;
                at(clock.nanos() + fate.drainMillis() * MS, () -> exit(this, ExitCodes.OK));
            }
        }

        @Override
        public String toString() {
            return "pid " + pid + " (" + (standby ? "standby" + (promotedTo != null ? " promoted to " + promotedTo : "")
                    : "slot " + slot) + ", gen " + generation + (alive ? "" : ", exited " + exitValue)
                    + (hung ? ", hung" : "") + ")";
        }
    }

    private record Timer(long at, long seq, Runnable action) {
    }

    /** The simulated workers run the built-in server: no application is ever copied. */
    private static final AppSnapshots NO_APPS = new AppSnapshots(
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "forkline-simulation-never-written"));

    final Scenario scenario;
    final FakeClock clock = new FakeClock();
    final Supervisor supervisor;
    final List<FakeProcess> processes = new ArrayList<>();
    /** The processes that have not exited, in spawn order. */
    final java.util.Set<FakeProcess> alive = new java.util.LinkedHashSet<>();
    final Invariants invariants;
    private final Deque<Event> queue = new ArrayDeque<>();
    private final List<Event> pipe = new ArrayList<>();
    private final PriorityQueue<Timer> timeline = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private final Map<SupervisorConfig, GenerationFate> generationFates = new IdentityHashMap<>();
    private final List<CompletableFuture<String>> replies = new ArrayList<>();
    private final Deque<Line> trace = new ArrayDeque<>();
    private final List<dev.forkline.logging.Log.EventRecord> logged = new ArrayList<>();
    private long seq;
    private long nextPid = 1000;
    private int fateIndex;
    private boolean holding;
    private int spawnFailures;
    private NextConfig next = new NextConfig(NextConfig.Kind.SAME, 0);
    private boolean stalled;
    private int port = 3000;

    Simulation(Scenario scenario) {
        this.scenario = scenario;
        SupervisorConfig first = SupervisorConfig.from(scenario.settings().values());
        generationFates.put(first, scenario.firstGeneration());
        this.supervisor = new Supervisor(first, clock, this::spawn, new Reload.ConfigSource() {
            @Override
            public String file() {
                return CONFIG_FILE;
            }

            @Override
            public SupervisorConfig load() {
                return readConfig();
            }
        }, NO_APPS);
        this.invariants = new Invariants(this);
    }

    /** Runs every step, then stops the supervisor and checks that everything was reaped. */
    Simulation run() {
        return guarded(() -> {
            start();
            scenario.steps().forEach(this::step);
            finish();
        });
    }

    /** Starts the supervisor (its first workers), for a test that goes step by step. */
    Simulation start() {
        supervisor.start();
        invariants.afterTurn();
        return this;
    }

    /** Applies steps now, for a test that looks in between; invariants are checked as always. */
    Simulation steps(Step... steps) {
        return guarded(() -> {
            for (Step s : steps) {
                step(s);
            }
        });
    }

    private void step(Step step) {
        note("step " + step);
        apply(step);
    }

    private Simulation guarded(Runnable body) {
        Handler capture = captureLogs();
        try {
            body.run();
            return this;
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n--- trace (last " + trace.size() + " lines) ---\n"
                    + trace.stream().map(Line::toString).collect(java.util.stream.Collectors.joining("\n")), e);
        } finally {
            Logger.getLogger("dev.forkline").removeHandler(capture);
        }
    }

    private void apply(Step step) {
        if (step instanceof Wait w) {
            for (int i = 0; i < w.ticks() && supervisor.phase() != Phase.STOPPED; i++) {
                advance(TICK);
                turn();
            }
        } else if (step instanceof Stall s) {
            stalled = true;
            advance(s.ticks() * TICK);
            turn();
        } else if (step instanceof Jump j) {
            holding = true;
            advance(j.ticks() * TICK);
            holding = false;
            stalled = true;
            turn();
            queue.addAll(pipe); // the reader threads catch up
            pipe.clear();
        } else if (step instanceof Crash c) {
            FakeProcess p = pick(c.pick());
            if (p != null) {
                boolean bootError = (c.exitValue() == ExitCodes.BOOT || c.exitValue() == ExitCodes.CONFIG) && !p.ready;
                if (bootError) {
                    emit(new Event.Fatal(p, c.exitValue(), "cannot boot (simulated)"));
                }
                exit(p, c.exitValue());
            }
        } else if (step instanceof Hang h) {
            FakeProcess p = pick(h.pick());
            if (p != null && !p.hung) {
                p.hung = true;
                p.hungSince = clock.nanos();
            }
        } else if (step instanceof BreakPipe b) {
            FakeProcess p = pick(b.pick());
            if (p != null) {
                p.pipeBroken = true;
            }
        } else if (step instanceof Signal s) {
            emit(new Event.SignalReceived(s.sig()));
        } else if (step instanceof Scale s) {
            command(new Event.Action.Scale(s.workers()));
        } else if (step instanceof ReloadCommand r) {
            command(new Event.Action.Reload(r.waitForCompletion()));
        } else if (step instanceof StopCommand) {
            command(new Event.Action.Stop());
        } else if (step instanceof SetNextConfig n) {
            next = n.next();
        } else if (step instanceof SpawnFailures f) {
            spawnFailures = f.count();
        } else {
            throw new IllegalArgumentException("unknown step " + step);
        }
    }

    private void command(Event.Action action) {
        CompletableFuture<String> reply = new CompletableFuture<>();
        replies.add(reply);
        emit(new Event.Command(action, reply));
    }

    /** TERM, then turns until the supervisor has stopped; every process must have been reaped. */
    private void finish() {
        if (supervisor.phase() != Phase.STOPPED) {
            note("finish: SIGTERM");
            emit(new Event.SignalReceived(Event.Sig.TERM));
        }
        long bound = clock.nanos() + (scenario.settings().shutdownMs() + 5_000L) * MS;
        while (supervisor.phase() != Phase.STOPPED && clock.nanos() < bound) {
            advance(TICK);
            turn();
        }
        invariants.atEnd();
    }

    /** One turn of the loop: every queued event, then the timers. */
    void turn() {
        List<Event> batch = new ArrayList<>(queue);
        queue.clear();
        for (Event e : batch) {
            note(e instanceof Event.Heartbeat h ? "  event heartbeat from pid " + h.worker().pid() : "  event " + e);
        }
        if (stalled) {
            lastStallEnd = clock.nanos();
        }
        invariants.beforeTurn(batch);
        supervisor.turn(batch);
        invariants.afterTurn();
        stalled = false;
    }

    /** Whether the turn being checked came after a stall or a jump. */
    boolean afterStall() {
        return stalled;
    }

    /** The time of the last turn that followed a stall or a jump. */
    long lastStallEnd = Long.MIN_VALUE;

    /** Moves time forward, running what the world does meanwhile. */
    private void advance(long nanos) {
        long target = clock.nanos() + nanos;
        while (!timeline.isEmpty() && timeline.peek().at() <= target) {
            Timer t = timeline.poll();
            clock.set(Math.max(clock.nanos(), t.at()));
            t.action().run();
        }
        clock.set(target);
    }

    private void at(long when, Runnable action) {
        timeline.add(new Timer(when, seq++, action));
    }

    private void emit(Event e) {
        (holding ? pipe : queue).add(e);
    }

    /** Whether the exit of a process is still on its way to the loop. */
    boolean exitPending(FakeProcess p) {
        return java.util.stream.Stream.concat(queue.stream(), pipe.stream())
                .anyMatch(e -> e instanceof Event.Exited x && x.worker() == p);
    }

    private FakeProcess pick(int pick) {
        List<FakeProcess> live = List.copyOf(alive);
        return live.isEmpty() ? null : live.get(Math.floorMod(pick, live.size()));
    }

    // ---- the launcher's side ----

    private Launcher.WorkerHandle spawn(int slot, Generation generation) throws IOException {
        invariants.spawnAttempted(slot, generation);
        if (spawnFailures > 0) {
            spawnFailures--;
            note("  spawn of slot " + slot + " fails");
            throw new IOException("Cannot run program \"java\": error=12, Cannot allocate memory");
        }
        List<Fate> fates = scenario.fates();
        Fate fate = fates.isEmpty() ? Fate.boots(300) : fates.get(Math.min(fateIndex++, fates.size() - 1));
        GenerationFate gf = generationFates.getOrDefault(generation.config(), GenerationFate.NORMAL);
        if (gf == GenerationFate.CANNOT_BOOT) {
            fate = new Fate(Fate.Kind.BOOT_ERROR, fate.bootMillis(), ExitCodes.BOOT, fate.drainMillis());
        } else if (gf == GenerationFate.CRASHES_AT_START) {
            fate = new Fate(Fate.Kind.CRASHES_AT_START, fate.bootMillis(), ExitCodes.CRASH, fate.drainMillis());
        }
        return start(slot, generation, fate);
    }

    private FakeProcess start(int slot, Generation generation, Fate fate) {
        FakeProcess p = new FakeProcess(nextPid++, slot, generation.number(), fate);
        processes.add(p);
        alive.add(p);
        note("  spawned " + p + " fate " + fate);
        long bootAt = clock.nanos() + fate.bootMillis() * MS;
        switch (fate.kind()) {
            case BOOTS -> at(bootAt, () -> booted(p));
            case CRASHES_AT_START -> at(bootAt, () -> exit(p, fate.exitValue() == 0 ? ExitCodes.CRASH : fate.exitValue()));
            case BOOT_ERROR -> at(bootAt, () -> {
                if (p.alive) {
                    int code = fate.exitValue() == ExitCodes.CONFIG ? ExitCodes.CONFIG : ExitCodes.BOOT;
                    emit(new Event.Fatal(p, code, "cannot listen (simulated)"));
                    exit(p, code);
                }
            });
            case HANGS_AT_BOOT -> p.hung = true;
        }
        return p;
    }

    private void booted(FakeProcess p) {
        if (!p.alive || p.hung) {
            return;
        }
        p.booted = true;
        p.bootedAt = clock.nanos();
        if (p.standby) {
            emit(new Event.Booted(p, new ControlMessage.Booted(p.pid, p.generation, List.of("127.0.0.1:3000"))));
        } else {
            p.ready = true;
            p.readySentAt = clock.nanos();
            emit(new Event.Ready(p, new ControlMessage.Ready(p.pid, p.slot, p.generation, List.of("127.0.0.1:3000"))));
        }
        heartbeat(p);
        if (p.drainRequested) {
            p.drainRequested();
        } else if (p.promotedTo != null) {
            listen(p); // it reads the promote that waited in its pipe
        }
    }

    /** A promoted standby binds its held sockets: ready a few milliseconds later. */
    private void listen(FakeProcess p) {
        at(clock.nanos() + 3 * MS, () -> {
            if (p.alive && !p.hung && !p.draining && !p.ready) {
                p.ready = true;
                p.readySentAt = clock.nanos();
                emit(new Event.Ready(p, new ControlMessage.Ready(p.pid, p.promotedTo, p.generation, List.of("127.0.0.1:3000"))));
            }
        });
    }

    private void heartbeat(FakeProcess p) {
        long interval = generationInterval(p);
        at(clock.nanos() + interval, () -> {
            if (p.alive && !p.hung) {
                if (!p.standby || p.ready) {
                    p.requests += 10; // a standby serves nothing before it listens
                }
                p.lastHeartbeatSent = clock.nanos();
                emit(new Event.Heartbeat(p, new WorkerStats(p.pid, p.slot, p.generation,
                        (clock.nanos() - p.spawnedAt) / MS, 1, p.requests / 10, p.requests, p.requests * 6,
                        p.requests * 8, 0, p.requests / 20), clock.nanos()));
                heartbeat(p);
            }
        });
    }

    private long generationInterval(FakeProcess p) {
        return scenario.settings().heartbeatMs() * MS;
    }

    private void exit(FakeProcess p, int exitValue) {
        if (!p.alive) {
            return;
        }
        p.alive = false;
        alive.remove(p);
        p.exitValue = exitValue;
        note("  " + p + " exits");
        emit(new Event.Exited(p, exitValue));
    }

    // ---- the configuration source's side ----

    /** The file the simulated configuration comes from. */
    static final String CONFIG_FILE = "/etc/forkline/forkline.json";

    private SupervisorConfig readConfig() {
        Map<String, String> values = scenario.settings().values();
        GenerationFate fate = GenerationFate.NORMAL;
        switch (next.kind()) {
            case SAME -> { }
            case WORKERS -> values.put("FORKLINE_WORKERS", Integer.toString(next.workers()));
            case STANDBY -> values.put("FORKLINE_STANDBY", Integer.toString(next.workers() - 1));
            case INVALID -> throw new ConfigException("FORKLINE_PORT", "abc", "an integer from 1 to 65535");
            case MOVES_PORT -> values.put("FORKLINE_PORT", Integer.toString(++port));
            case CANNOT_BOOT -> fate = GenerationFate.CANNOT_BOOT;
            case CRASHES_AT_START -> fate = GenerationFate.CRASHES_AT_START;
        }
        SupervisorConfig config = SupervisorConfig.from(values);
        generationFates.put(config, fate);
        return config;
    }

    // ---- diagnostics ----

    /** The events the supervisor logged with this name, in order. */
    List<dev.forkline.logging.Log.EventRecord> logged(String event) {
        return logged.stream().filter(e -> e.event().equals(event)).toList();
    }

    /** Keeps the last lines of what happened, for the failure message; formatted only then. */
    void note(String line) {
        trace.addLast(new Line(clock.nanos(), line));
        if (trace.size() > 400) {
            trace.removeFirst();
        }
    }

    private record Line(long nanos, String text) {
        @Override
        public String toString() {
            return String.format("%8d ms  %s", (nanos - 1_000_000_000_000L) / MS, text);
        }
    }

    private Handler captureLogs() {
        Logger logger = Logger.getLogger("dev.forkline");
        logger.setUseParentHandlers(false);
        logger.setLevel(Level.INFO);
        Thread owner = Thread.currentThread();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (Thread.currentThread() != owner) {
                    // Another simulation's (one a timed-out jqwik shrink left running): not ours.
                    return;
                }
                note("    log " + r.getLevel() + " " + r.getMessage());
                if (r instanceof dev.forkline.logging.Log.EventRecord e) {
                    logged.add(e);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(h);
        return h;
    }
}
