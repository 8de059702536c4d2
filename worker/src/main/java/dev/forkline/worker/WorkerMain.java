package dev.forkline.worker;

import dev.forkline.app.AppSpec;
import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.config.WorkerConfig;
import dev.forkline.logging.Logs;
import dev.forkline.os.Signals;
import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.os.ExitCodes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.metrics.MetricsOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One worker process: one Vert.x instance with exactly one event loop on the native epoll transport,
 * running one application: the user's verticle (FORKLINE_APP) or, by default, the built-in PID server
 * (the line protocol and its HTTP facet). Every listening socket is reuse-port
 * ({@link WorkerTransport}). Started by the supervisor, never by hand: its stdin and stdout are the
 * control channel.
 *
 * <p>Boot: check the transport, read the configuration, deploy the application, wait until every
 * socket it opened is bound, send {@code ready}. A warm standby ({@code FORKLINE_SLOT=standby})
 * holds every bind back ({@link Binds}): once its application has got as far as it can without
 * listening it sends {@code booted}, heartbeats and waits; {@code promote} releases the binds, and
 * the boot goes on from there to {@code ready}. Any failure before {@code ready} exits with
 * {@link ExitCodes#BOOT} (or {@link ExitCodes#CONFIG}) after a {@code fatal} message naming the
 * reason in one line, and the supervisor halts (at first start) or abandons the reload.
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
    /** The user's application, or empty for the built-in PID server. */
    private Optional<AppSpec> app = Optional.empty();
    private boolean draining;
    /** The application's deployment id, once deployed. */
    private String deployment;
    /** A standby's deployment while it waits for its held binds (null before it was started). */
    private volatile Future<String> deploying;
    /** Completed when the worker may listen: at once, or for a standby when it is promoted. */
    private final Promise<Void> promotion = Promise.promise();
    private boolean standbyBooted;
    private boolean controlStarted;
    private long promotedNanos;

    private WorkerMain(WorkerIdentity id, ControlChannel channel) {
        this.id = id;
        this.channel = channel;
    }

    public static void main(String[] args) {
        MAIN_NANOS = System.nanoTime();
        if ("crash-at-start".equals(System.getProperty("forkline.fault"))) {
            Runtime.getRuntime().halt(ExitCodes.CRASH); // test hook: a worker that dies before it says anything
        }
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
        transport = WorkerTransport.epoll(counters);
        if (transport == null) {
            fail(ExitCodes.BOOT, "the native epoll transport is missing from the class path; SO_REUSEPORT needs it");
            return;
        }
        Map<String, String> settings = Setting.forklineOnly(System.getenv());
        try {
            // The training run that makes the CDS archive at build time serves the built-in server,
            // whatever FORKLINE_APP the environment of the build holds. Otherwise the application as
            // the supervisor resolved and checked it (its generation's copy): not checked again.
            app = CDS_TRAINING ? Optional.empty() : AppSpec.resolved(settings);
        } catch (ConfigException e) {
            // The supervisor checked it already: a snapshot that no longer loads cannot boot.
            fail(ExitCodes.BOOT, "application: " + e.getMessage());
            return;
        }
        var builder = Vertx.builder().withTransport(transport).with(vertxOptions(app));
        if (app.isPresent()) {
            builder.withMetrics(options -> new AppMetrics(counters));
            transport.countEveryServer(); // its bytes, at the socket: see AppMetrics
        }
        vertx = builder.build();
        bootNanos[1] = System.nanoTime();
        if (!vertx.isNativeTransportEnabled()) {
            Throwable cause = vertx.unavailableNativeTransportCause();
            fail(ExitCodes.BOOT, "the native epoll transport is unavailable ("
                    + (cause == null ? "unknown cause" : cause) + "); SO_REUSEPORT needs it");
            return;
        }
        // The CDS training run boots as a standby and promotes itself, so that the classes (and
        // lambda proxies) of a promotion are in the archive: a standby runs that path once, cold.
        if (id.standby() || CDS_TRAINING) {
            transport.holdBinds(this::checkStandbyBooted);
        } else {
            promotion.complete();
        }
        // The environment is the supervisor's configuration, already read through vertx-config and
        // validated, handed over as FORKLINE_* variables (FORKLINE_CONFIG removed): read it directly,
        // through the same validation. Reading it through vertx-config again cost 45-58 ms of every
        // spawn (measured: a sixth of the boot) for no new information.
        Future.succeededFuture(settings)
                .map(values -> {
                    Logs.setLevel(Setting.LOG_LEVEL.oneOf(values, Logs.LogLevel.class));
                    return WorkerConfig.from(CDS_TRAINING ? CdsTraining.settings(values) : values);
                })
                .compose(this::deploy)
                .compose(id -> {
                    deployment = id;
                    // A standby's binds settle only after its promotion: no need to look before.
                    return promotion.future().compose(v -> transport.serversSettled(vertx));
                })
                .compose(binds -> binds.failed().isEmpty() ? Future.succeededFuture(binds)
                        : Future.failedFuture(new BindFailed("cannot listen on " + String.join(", ", binds.failed()))))
                .onSuccess(this::serving)
                .onFailure(this::bootFailed);
    }

    /**
     * One event loop, one worker thread. The built-in server serves no files: no {@code .vertx} cache
     * directory and no class-path resolution (the image's root file system may be read-only). An
     * application may serve files from its jar (a {@code webroot/}), so it gets class-path resolution,
     * with Vert.x's cache in its generation's directory (next to its copy of the jar), which the
     * supervisor deletes with the generation, however the worker ended.
     */
    private static VertxOptions vertxOptions(Optional<AppSpec> app) {
        VertxOptions options = new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1);
        if (app.isPresent()) {
            Path dir = app.get().jar().toAbsolutePath().getParent();
            return options.setMetricsOptions(new MetricsOptions().setEnabled(true))
                    .setFileSystemOptions(new FileSystemOptions().setFileCacheDir(
                            (dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"))).resolve("vertx-cache").toString()));
        }
        return options.setFileSystemOptions(new FileSystemOptions()
                .setFileCachingEnabled(false)
                .setClassPathResolvingEnabled(false));
    }

    /** A listening socket could not be bound, whoever opened it. */
    private static final class BindFailed extends RuntimeException {
        BindFailed(String message) {
            super(message, null, false, false);
        }
    }

    private void bootFailed(Throwable e) {
        if (draining) {
            return; // a standby told to drain before it listened: the drain decides how it exits
        }
        if (e instanceof ConfigException) {
            fail(ExitCodes.CONFIG, e.getMessage());
        } else if (e instanceof BindFailed || app.isEmpty()) {
            fail(ExitCodes.BOOT, e instanceof BindFailed ? e.getMessage() : "cannot listen on " + config.host() + ":"
                    + config.port() + (config.httpPort() != 0 ? " and :" + config.httpPort() + " (HTTP)" : "")
                    + ": " + e.getMessage());
        } else {
            // The application's own words: its exception and the first cause.
            fail(ExitCodes.BOOT, "application " + app.get().verticle() + " could not start: "
                    + (e instanceof UserApp.Failure ? e.getMessage() : UserApp.describe(e)));
        }
    }

    private Future<String> deploy(WorkerConfig cfg) {
        bootNanos[2] = System.nanoTime();
        config = cfg;
        Future<String> deployed = app.isPresent() ? UserApp.deploy(vertx, app.get())
                : vertx.deployVerticle(new WorkerVerticle(cfg, id, counters));
        if (!promotion.future().isComplete()) {
            deploying = deployed;
            deployed.onSuccess(x -> checkStandbyBooted());
            checkStandbyBooted();
        }
        return deployed;
    }

    /**
     * A standby sends {@code booted} once its application has got as far as it can without listening:
     * its start() has run up to its listen() calls, whose binds are held, or has completed. Called
     * after each held bind and when the deployment completes. What the application does only once a
     * listen future completes runs after the promotion.
     */
    private synchronized void checkStandbyBooted() {
        if (standbyBooted || promotion.future().isComplete()) {
            return;
        }
        Future<String> d = deploying;
        transport.standbyBooted(vertx, d != null && d.succeeded()).ifPresent(held -> {
            standbyBooted = true;
            LOG.fine(() -> String.format("booted as a standby in %d ms, holding %s",
                    (System.nanoTime() - MAIN_NANOS) / 1_000_000, held.isEmpty() ? "no listener" : String.join(", ", held)));
            // Warm the path of the promote to come: the first decode of a command loads and
            // initialises the JSON parser's classes (73 ms between the promote's read and the next
            // read of the control thread, on a loaded machine, before). The training run then
            // promotes itself.
            ControlMessage promote = ControlCodec.decode(ControlCodec.encode(new ControlMessage.Promote(0)));
            if (CDS_TRAINING) {
                loop = vertx.getOrCreateContext();
                onCommand(promote);
                return;
            }
            channel.send(new ControlMessage.Booted(id.pid(), id.generation(), held));
            startControl();
        });
    }

    /** The supervisor promoted this standby into {@code slot}: every held socket binds now. */
    private void promote(int slot) {
        if (promotion.future().isComplete() || draining) {
            LOG.warning("promote to slot " + slot + " ignored: " + (draining ? "draining" : "already worker " + id.slot()));
            return;
        }
        promotedNanos = System.nanoTime();
        id.promote(slot);
        Logs.setTag(id.tag());
        LOG.fine(() -> "promoted to slot " + slot + ": listening");
        transport.releaseBinds();
        promotion.complete();
    }

    private void serving(Binds.Result binds) {
        bootNanos[3] = System.nanoTime();
        // A promoted standby's listening phase starts at its promotion, not at its deployment.
        long listenFrom = promotedNanos != 0 ? promotedNanos : bootNanos[2];
        LOG.fine(() -> String.format("booted: main to boot %d ms, Vert.x %d ms, configuration %d ms,"
                        + " listening %d ms%s", (bootNanos[0] - MAIN_NANOS) / 1_000_000,
                (bootNanos[1] - bootNanos[0]) / 1_000_000, (bootNanos[2] - bootNanos[1]) / 1_000_000,
                (bootNanos[3] - listenFrom) / 1_000_000, promotedNanos != 0 ? " after the promotion" : ""));
        if (CDS_TRAINING) {
            loop = vertx.getOrCreateContext();
            CdsTraining.exercise(config, () -> loop.runOnContext(v -> drain("CDS training done")));
            return;
        }
        channel.send(new ControlMessage.Ready(id.pid(), id.slot(), id.generation(), binds.listening()));
        // After ready, off the event loop: the MX beans' classes are not on the boot path.
        JvmFigures.loadInBackground(figures -> counters.jvm = figures);
        LOG.fine(() -> "serving on " + String.join(", ", binds.listening()));
        startControl();
        injectFault(System.getProperty("forkline.fault", ""));
    }

    /**
     * Commands, heartbeats and signals: once ready, or once a standby has booted (it must hear
     * {@code promote}, and the supervisor watches its heartbeats like any worker's).
     */
    private synchronized void startControl() {
        if (controlStarted) {
            return;
        }
        controlStarted = true;
        loop = vertx.getOrCreateContext();
        channel.listen(this::onCommand, this::onSupervisorGone);
        // Sent from the event loop on purpose: a loop that is stuck sends no heartbeat, and the
        // supervisor replaces the worker (Gunicorn's worker timeout, Unicorn's "timeout").
        loop.runOnContext(v -> vertx.setPeriodic(config.heartbeatInterval().toMillis(),
                t -> channel.send(new ControlMessage.Heartbeat(counters.snapshot(id)))));
        // TERM is the supervisor's fallback for "drain" (nginx's QUIT); INT is ignored because a
        // Ctrl-C in a terminal reaches the whole process group, and the supervisor decides what
        // its workers do with it.
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
        } else if (command instanceof ControlMessage.Promote p) {
            loop.runOnContext(v -> promote(p.slot()));
        } else {
            LOG.warning("ignored a control message that is not a command: " + command);
        }
    }

    /**
     * Graceful, the same for the built-in server and an application: close every listening socket at
     * once (the kernel sends new connections to the other workers; see {@link WorkerTransport} for why
     * we close them ourselves), then shut every open connection down with FORKLINE_DRAIN_TIMEOUT
     * ({@link WorkerTransport#shutdownConnections}: each finishes what it is doing — an HTTP
     * connection its request in progress, answered with {@code Connection: close} — and whatever is
     * left at the timeout is closed), then undeploy the application (its {@code stop()} runs, given
     * what is left of the drain timeout and at least {@link #STOP_AT_LEAST}), then exit.
     */
    private void drain(String why) {
        if (draining) {
            return;
        }
        draining = true;
        Duration timeout = config.drainTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        transport.closeListeners()
                .compose(v -> {
                    LOG.info(() -> "draining on " + why + ": listeners closed, " + counters.connections
                            + " connections open, timeout " + Setting.format(timeout));
                    return transport.shutdownConnections(vertx, timeout);
                })
                .compose(v -> undeploy(Duration.ofNanos(Math.max(deadline - System.nanoTime(), STOP_AT_LEAST.toNanos()))))
                .onComplete(ar -> exit(ExitCodes.OK, "drained"));
    }

    /** An application's {@code stop()} gets at least this long, even after a drain that used its whole timeout. */
    private static final Duration STOP_AT_LEAST = Duration.ofSeconds(1);

    /**
     * Undeploys the application's deployment only: Vert.x undeploys the verticles it deployed itself
     * (its children) with it.
     */
    private Future<Void> undeploy(Duration timeout) {
        List<Future<Void>> undeploying = new ArrayList<>();
        if (deployment != null) {
            undeploying.add(vertx.undeploy(deployment).recover(e -> {
                LOG.warning("stop() failed: " + UserApp.describe(e));
                return Future.succeededFuture();
            }));
        }
        Promise<Void> done = Promise.promise();
        long timer = vertx.setTimer(Math.max(1, timeout.toMillis()), t -> {
            if (done.tryComplete()) {
                LOG.warning("stop() still running after " + Setting.format(timeout) + ": exiting anyway");
            }
        });
        Future.join(undeploying).onComplete(ar -> {
            vertx.cancelTimer(timer);
            done.tryComplete();
        });
        return done.future();
    }

    private void stopNow() {
        LOG.info("stopping now: closing " + counters.connections + " connections");
        exit(ExitCodes.OK, "stopped");
    }

    /**
     * The supervisor is gone: nobody will drain, respawn or read our exit status. Free the port at
     * once, then end. Not with {@code Runtime.halt()} alone: HotSpot's exit waits for threads in
     * native code (our epoll loops) to block (VM_Exit::wait_for_threads_in_native_to_block), 300 ms
     * at least and up to 10 s while a JIT compiler thread is busy; we measured 1.5 s right after
     * start. The kernel ends us at once.
     */
    private void onSupervisorGone() {
        // The halt is in a finally: with the jar overwritten under a running worker, logging or the
        // close below threw NoClassDefFoundError (an Error, not an Exception), the halt was skipped and
        // orphaned workers kept the port until killed by hand.
        try {
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
        } finally {
            Runtime.getRuntime().halt(ExitCodes.ORPHANED);
        }
    }

    private void exit(int code, String what) {
        LOG.info(() -> what + ": " + (counters.requests + counters.httpRequests) + " requests served; exiting");
        vertx.close().toCompletionStage().toCompletableFuture().completeOnTimeout(null, 1, TimeUnit.SECONDS)
                .whenComplete((v, e) -> System.exit(code));
    }

    private void fail(int code, String reason) {
        LOG.severe(reason);
        channel.send(new ControlMessage.Fatal(code, reason));
        Runtime.getRuntime().halt(code);
    }
}
