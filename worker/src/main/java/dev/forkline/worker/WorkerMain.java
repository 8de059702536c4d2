package dev.forkline.worker;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.config.WorkerConfig;
import dev.forkline.logging.Logs;
import dev.forkline.os.Signals;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.os.ExitCodes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One worker process: one Vert.x instance with exactly one event loop on the native epoll transport,
 * serving the line protocol on a reuse-port listener. Started by the supervisor, never by hand: its
 * stdin and stdout are the control channel.
 *
 * <p>Boot: check the transport, read the configuration, deploy the listener, send {@code ready}.
 * Any failure before {@code ready} exits with {@link ExitCodes#BOOT} (or {@link ExitCodes#CONFIG})
 * after a {@code fatal} message naming the reason, and the supervisor halts.
 */
public final class WorkerMain {
    private static final Logger LOG = Logger.getLogger(WorkerMain.class.getName());

    private final WorkerIdentity id;
    private final ControlChannel channel;
    private final Counters counters = new Counters();
    private WorkerTransport transport;
    private Vertx vertx;
    private Context loop;
    private WorkerConfig config;
    private WorkerVerticle server;
    private boolean draining;

    private WorkerMain(WorkerIdentity id, ControlChannel channel) {
        this.id = id;
        this.channel = channel;
    }

    public static void main(String[] args) {
        MAIN_NANOS = System.nanoTime();
        WorkerIdentity id = WorkerIdentity.fromEnvironment();
        Logs.init(id.tag());
        new WorkerMain(id, ControlChannel.stdio()).boot();
    }

    /**
     * {@code -Dforkline.cds.training=true}: the run that the build and the image make under
     * {@code -XX:ArchiveClassesAtExit} to create the worker's AppCDS archive. It boots on free loopback
     * ports, serves its own client (the line protocol and HTTP), drains and exits, so the archive holds
     * the classes a worker loads to boot and to serve.
     */
    private static final boolean CDS_TRAINING = Boolean.getBoolean("forkline.cds.training");
    private static long MAIN_NANOS;

    /** Boot phases, for the debug log: JVM start to main, Vert.x up, configuration read, listening. */
    private final long[] bootNanos = new long[4];

    private void boot() {
        bootNanos[0] = System.nanoTime();
        transport = WorkerTransport.epoll();
        if (transport == null) {
            fail(ExitCodes.BOOT, "the native epoll transport is missing from the class path; SO_REUSEPORT needs it");
            return;
        }
        vertx = Vertx.builder().withTransport(transport).with(new VertxOptions()
                        .setEventLoopPoolSize(1)
                        .setWorkerPoolSize(1)
                        .setInternalBlockingPoolSize(1)
                        // No .vertx cache directory: the worker serves no files, and the image's root
                        // file system may be read-only.
                        .setFileSystemOptions(new FileSystemOptions()
                                .setFileCachingEnabled(false)
                                .setClassPathResolvingEnabled(false)))
                .build();
        bootNanos[1] = System.nanoTime();
        if (!vertx.isNativeTransportEnabled()) {
            Throwable cause = vertx.unavailableNativeTransportCause();
            fail(ExitCodes.BOOT, "the native epoll transport is unavailable ("
                    + (cause == null ? "unknown cause" : cause) + "); SO_REUSEPORT needs it");
            return;
        }
        // The environment is the supervisor's configuration, already read through vertx-config and
        // validated, handed over as FORKLINE_* variables (FORKLINE_CONFIG removed): read it directly,
        // through the same validation. Reading it through vertx-config again cost 45-58 ms of every
        // spawn (measured: a sixth of the boot) for no new information.
        Future.succeededFuture(Setting.forklineOnly(System.getenv()))
                .map(values -> {
                    Logs.setLevel(Setting.LOG_LEVEL.oneOf(values, Logs.LogLevel.class));
                    return WorkerConfig.from(CDS_TRAINING ? CdsTraining.settings(values) : values);
                })
                .compose(this::deploy)
                .onSuccess(v -> serving())
                .onFailure(e -> {
                    if (e instanceof ConfigException) {
                        fail(ExitCodes.CONFIG, e.getMessage());
                    } else {
                        fail(ExitCodes.BOOT, "cannot listen on " + config.host() + ":" + config.port()
                                + (config.httpPort() != 0 ? " and :" + config.httpPort() + " (HTTP)" : "")
                                + ": " + e.getMessage());
                    }
                });
    }

    private Future<String> deploy(WorkerConfig cfg) {
        bootNanos[2] = System.nanoTime();
        config = cfg;
        server = new WorkerVerticle(cfg, transport, id, counters);
        return vertx.deployVerticle(server);
    }

    private void serving() {
        bootNanos[3] = System.nanoTime();
        LOG.fine(() -> String.format("booted: main to boot %d ms, Vert.x %d ms, configuration %d ms,"
                        + " listening %d ms", (bootNanos[0] - MAIN_NANOS) / 1_000_000,
                (bootNanos[1] - bootNanos[0]) / 1_000_000, (bootNanos[2] - bootNanos[1]) / 1_000_000,
                (bootNanos[3] - bootNanos[2]) / 1_000_000));
        loop = vertx.getOrCreateContext();
        if (CDS_TRAINING) {
            CdsTraining.exercise(config, () -> loop.runOnContext(v -> drain("CDS training done")));
            return;
        }
        channel.send(new ControlMessage.Ready(id.pid(), id.slot(), id.generation(), server.actualPort()));
        LOG.fine(() -> "serving on " + config.host() + ":" + server.actualPort());
        channel.listen(this::onCommand, this::onSupervisorGone);
        // Sent from the event loop on purpose: a loop that is stuck sends no heartbeat, and the
        // supervisor replaces the worker (Gunicorn's worker timeout, Unicorn's "timeout").
        loop.runOnContext(v -> vertx.setPeriodic(config.heartbeatInterval().toMillis(),
                t -> channel.send(new ControlMessage.Heartbeat(counters.snapshot(id)))));
        // TERM is the supervisor's fallback for "drain" (nginx's QUIT); INT is ignored because a
        // Ctrl-C in a terminal reaches the whole process group, and the supervisor decides what
        // its workers do with it.
        injectFault(System.getProperty("forkline.fault", ""));
        Signals.handle("TERM", () -> loop.runOnContext(v -> drain("SIGTERM")));
        Signals.handle("INT", () -> LOG.fine("SIGINT ignored: the supervisor forwards it"));
    }

    /**
     * Test hooks, never for production, set through FORKLINE_WORKER_JVM_OPTS:
     * {@code -Dforkline.fault=oom} makes the worker exhaust its heap shortly after it is ready (an
     * out-of-memory worker must exit and be respawned); {@code -Dforkline.fault=crash} makes it
     * crash shortly after it is ready (a crash loop that passes through "ready" must still back off).
     */
    private void injectFault(String fault) {
        if (fault.equals("crash")) {
            LOG.warning("fault injection: crashing (-Dforkline.fault=crash)");
            vertx.setTimer(200, t -> Runtime.getRuntime().halt(ExitCodes.CRASH));
        } else if (fault.equals("oom")) {
            LOG.warning("fault injection: exhausting the heap (-Dforkline.fault=oom)");
            vertx.setTimer(200, t -> {
                java.util.List<long[]> hog = new java.util.ArrayList<>();
                while (true) {
                    hog.add(new long[1 << 20]);
                }
            });
        } else if (!fault.isEmpty()) {
            LOG.warning("unknown fault injection ignored: -Dforkline.fault=" + fault);
        }
    }

    private void onCommand(ControlMessage command) {
        if (command instanceof ControlMessage.Drain) {
            loop.runOnContext(v -> drain("drain command"));
        } else if (command instanceof ControlMessage.Stop) {
            loop.runOnContext(v -> stopNow());
        } else {
            LOG.warning("ignored a control message that is not a command: " + command);
        }
    }

    /** Graceful: listener closed now, connections finish their line and close, exit when none are left. */
    private void drain(String why) {
        if (draining) {
            return;
        }
        draining = true;
        LOG.info(() -> "draining on " + why + ": listener closed, " + counters.connections
                + " connections open, timeout " + Setting.format(config.drainTimeout()));
        server.drain(config.drainTimeout()).onComplete(ar -> exit(ExitCodes.OK, "drained"));
    }

    private void stopNow() {
        LOG.info("stopping now: closing " + counters.connections + " connections");
        server.closeNow().onComplete(ar -> exit(ExitCodes.OK, "stopped"));
    }

    /**
     * The supervisor is gone: nobody will drain, respawn or read our exit status. Free the port at
     * once, then end. Not with {@code Runtime.halt()} alone: HotSpot's exit waits for threads in
     * native code (our epoll loops) to block (VM_Exit::wait_for_threads_in_native_to_block), 300 ms
     * at least and up to 10 s while a JIT compiler thread is busy; we measured 1.5 s right after
     * start. The kernel ends us at once.
     */
    private void onSupervisorGone() {
        LOG.warning("supervisor gone (control channel closed): exiting");
        try {
            transport.closeListeners().toCompletionStage().toCompletableFuture().get(200, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // exiting anyway: the kernel closes every socket of a dead process
        }
        try {
            new ProcessBuilder("kill", "-KILL", Long.toString(id.pid())).start().waitFor(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            // no kill(1) here: the slower exit below still gets there
        }
        Runtime.getRuntime().halt(ExitCodes.ORPHANED);
    }

    private void exit(int code, String what) {
        LOG.info(() -> what + ": " + counters.requests + " requests served; exiting");
        vertx.close().toCompletionStage().toCompletableFuture().completeOnTimeout(null, 1, TimeUnit.SECONDS)
                .whenComplete((v, e) -> System.exit(code));
    }

    private void fail(int code, String reason) {
        LOG.severe(reason);
        channel.send(new ControlMessage.Fatal(code, reason));
        Runtime.getRuntime().halt(code);
    }
}
