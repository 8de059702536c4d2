package dev.forkline.supervisor;

import dev.forkline.config.Setting;
import dev.forkline.logging.Log;
import dev.forkline.protocol.ControlMessage;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Kills the workers that stopped answering, so that their slots get new ones: a worker not ready
 * (a standby not booted) within FORKLINE_BOOT_TIMEOUT of its start, a promoted standby not ready
 * within FORKLINE_BOOT_TIMEOUT of its promotion, a ready (or booted) one with no heartbeat for
 * FORKLINE_WORKER_TIMEOUT (its event loop is stuck: Gunicorn's worker timeout, Unicorn's
 * {@code timeout}), and a draining one still alive FORKLINE_DRAIN_TIMEOUT plus {@link #DRAIN_GRACE}
 * after it was told to drain.
 *
 * <p>Silence is measured from when a worker <em>sent</em> its last heartbeat (its stamp), not from
 * when the loop got to read it, and the supervisor judges only after it has handled every event
 * that was queued: a loop that was busy for a while does not kill the workers whose heartbeats
 * waited in its queue. When the whole supervisor did not run (SIGSTOP, a long VM pause), what the
 * workers wrote meanwhile still sits in the pipes when the loop resumes; for {@link #STALL_GRACE}
 * after such a stall it judges nobody whose timeout the stall could have used up.
 */
final class Watchdog {
    private static final Log LOG = Log.get(Watchdog.class);
    /** A draining worker gets this long beyond FORKLINE_DRAIN_TIMEOUT before SIGKILL. */
    static final Duration DRAIN_GRACE = Duration.ofSeconds(5);
    /** After the loop stalled, how long the pipes' readers get to catch up before silence is judged. */
    static final Duration STALL_GRACE = Duration.ofSeconds(1);
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(SupervisorLoop.TICK_MILLIS);
    /**
     * The loop turns at least every tick; a turn more than half a tick later than that follows a
     * stall. (Two ticks was too many: a pause of one tick, and a ready written meanwhile, was judged
     * as if it had not been sent: SupervisorRegressionTest.)
     */
    private static final long STALL_NANOS = TICK_NANOS + TICK_NANOS / 2;

    private final WorkerTable table;
    private final Clock clock;
    private long lastTurnNanos;
    private long resumedNanos;
    private long stallNanos;

    Watchdog(WorkerTable table, Clock clock) {
        this.table = table;
        this.clock = clock;
        this.lastTurnNanos = clock.nanos();
        this.resumedNanos = lastTurnNanos - STALL_GRACE.toNanos();
    }

    /** The loop turns: notes how long it had not. */
    void turn() {
        long now = clock.nanos();
        long gap = now - lastTurnNanos;
        lastTurnNanos = now;
        if (gap > STALL_NANOS) {
            resumedNanos = now;
            stallNanos = gap;
            if (gap >= TimeUnit.SECONDS.toNanos(1)) {
                LOG.warn("loop_stalled").with("millis", TimeUnit.NANOSECONDS.toMillis(gap))
                        .log("the supervisor's loop did not run for " + TimeUnit.NANOSECONDS.toMillis(gap)
                                + " ms (stopped, or starved of CPU): worker silence is judged again in "
                                + STALL_GRACE.toMillis() + " ms");
            }
        }
    }

    /**
     * The worker sent {@code ready}: it serves, and is alive now (the message carries no stamp).
     * The crash streak is not reset here: a worker that is ready and then dies young is still
     * crash-looping; only a run of FORKLINE_MIN_UPTIME resets it ({@link RespawnPolicy}).
     */
    void ready(Worker w) {
        long now = clock.nanos();
        if (w.state == Worker.State.STARTING || w.state == Worker.State.BOOTED) {
            w.state = Worker.State.READY;
        }
        w.wasReady = true;
        w.lastHeartbeatNanos = Math.max(w.lastHeartbeatNanos, now);
        long ms = TimeUnit.NANOSECONDS.toMillis(now - w.startedNanos);
        Long promotedMs = w.promotedNanos == 0 ? null : TimeUnit.NANOSECONDS.toMillis(now - w.promotedNanos);
        table.timeline.add("ready", w, promotedMs != null ? "ready " + promotedMs + " ms after its promotion" : "ready in " + ms + " ms");
        w.about(LOG.info("worker_ready")).with("boot_ms", ms).with("promoted_ms", promotedMs).with("listening", w.listening)
                .log(w.name() + " ready " + (promotedMs != null ? promotedMs + " ms after its promotion" : "in " + ms + " ms")
                        + " (generation " + w.generationNumber() + ", listening on " + String.join(", ", w.listening) + ")");
    }

    /** A standby sent {@code booted}: it can be promoted, and is alive now; its heartbeats follow. */
    void booted(Worker w, java.util.List<String> held) {
        long now = clock.nanos();
        if (w.state == Worker.State.STARTING) {
            w.state = Worker.State.BOOTED;
        }
        w.lastHeartbeatNanos = Math.max(w.lastHeartbeatNanos, now);
        long ms = TimeUnit.NANOSECONDS.toMillis(now - w.startedNanos);
        table.timeline.add("booted", w, "booted as a standby in " + ms + " ms, not listening");
        w.about(LOG.info("worker_booted")).with("boot_ms", ms).with("held", held)
                .log(w.name() + " booted in " + ms + " ms as a standby (generation " + w.generationNumber() + ", holding "
                        + (held.isEmpty() ? "no listener" : String.join(", ", held)) + ", not listening)");
    }

    /**
     * A heartbeat, stamped by the worker when it sent it. A stamp from the future (a clock that is
     * not this machine's monotonic one) counts as now; a missing one (an older worker) too.
     */
    void heartbeat(Worker w, long sentNanos) {
        long now = clock.nanos();
        long sent = sentNanos == ControlMessage.Heartbeat.UNSTAMPED ? now : Math.min(sentNanos, now);
        w.lastHeartbeatNanos = Math.max(w.lastHeartbeatNanos, sent);
    }

    void check() {
        long now = clock.nanos();
        for (Worker w : table.live()) {
            if (w.killedBecause != null) {
                continue;
            }
            switch (w.role) {
                case SERVING, INCOMING, STANDBY -> checkLiveness(w, w.generation.config(), now);
                case RETIRING -> checkDrain(w, w.generation.config(), now);
            }
        }
    }

    private void checkLiveness(Worker w, SupervisorConfig config, long now) {
        if (w.state == Worker.State.STARTING && now - w.startedNanos > config.bootTimeout().toNanos()) {
            // Its ready may be in the pipe, written during the stall.
            if (!mayHaveMissed(0, now)) {
                kill(w, "boot timeout", w.name() + " not ready after " + Setting.format(config.bootTimeout()) + ": SIGKILL",
                        "SIGKILL: not ready after " + Setting.format(config.bootTimeout()));
            }
        } else if (w.state == Worker.State.BOOTED && w.promotedNanos != 0
                && now - w.promotedNanos > config.bootTimeout().toNanos()) {
            // Promoted, but not ready: its binds or its application's start after them hang.
            if (!mayHaveMissed(0, now)) {
                kill(w, "boot timeout", w.name() + " not ready " + Setting.format(config.bootTimeout())
                        + " after its promotion: SIGKILL", "SIGKILL: not ready " + Setting.format(config.bootTimeout())
                        + " after its promotion");
            }
        } else if ((w.state == Worker.State.READY || w.state == Worker.State.BOOTED)
                && now - w.lastHeartbeatNanos > config.workerTimeout().toNanos()) {
            // A heartbeat sent just before a stall is read after it: the stall may have used up
            // all but one interval of the timeout.
            long tolerance = config.workerTimeout().minus(config.worker().heartbeatInterval()).toNanos() - TICK_NANOS;
            if (!mayHaveMissed(tolerance, now)) {
                long silent = TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos);
                kill(w, "hung", w.name() + " hung (no heartbeat for " + silent + " ms): SIGKILL",
                        "SIGKILL: hung, no heartbeat for " + silent + " ms");
            }
        }
    }

    /** Whether a recent stall longer than {@code tolerance} may still hide a message in a pipe. */
    private boolean mayHaveMissed(long tolerance, long now) {
        return now - resumedNanos < STALL_GRACE.toNanos() && stallNanos > tolerance;
    }

    private void checkDrain(Worker w, SupervisorConfig config, long now) {
        Duration drain = config.worker().drainTimeout();
        if (now - w.drainStartedNanos > drain.plus(DRAIN_GRACE).toNanos()) {
            kill(w, "drain timeout", w.name() + " still draining after " + Setting.format(drain)
                    + " + " + Setting.format(DRAIN_GRACE) + ": SIGKILL", "SIGKILL: still draining after the drain timeout");
        }
    }

    private void kill(Worker w, String reason, String message, String shortMessage) {
        w.about(LOG.warn("worker_killed")).with("reason", reason).log(message);
        table.timeline.add("kill", w, shortMessage);
        w.kill(reason);
    }
}
