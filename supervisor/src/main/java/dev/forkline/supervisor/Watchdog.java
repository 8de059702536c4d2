package dev.forkline.supervisor;

import dev.forkline.config.Setting;
import dev.forkline.logging.Log;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Kills the workers that stopped answering, so that their slots get new ones: a worker not ready
 * within FORKLINE_BOOT_TIMEOUT, a ready one with no heartbeat for FORKLINE_WORKER_TIMEOUT (its event
 * loop is stuck: Gunicorn's worker timeout, Unicorn's {@code timeout}), and a draining one still
 * alive FORKLINE_DRAIN_TIMEOUT plus {@link #DRAIN_GRACE} after it was told to drain.
 */
final class Watchdog {
    private static final Log LOG = Log.get(Watchdog.class);
    /** A draining worker gets this long beyond FORKLINE_DRAIN_TIMEOUT before SIGKILL. */
    static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

    private final WorkerTable table;
    private final Clock clock;

    Watchdog(WorkerTable table, Clock clock) {
        this.table = table;
        this.clock = clock;
    }

    /** A worker said something: it is alive (ready, heartbeat). */
    void heard(Worker w) {
        w.lastHeartbeatNanos = clock.nanos();
    }

    void check(SupervisorConfig config) {
        long now = clock.nanos();
        for (Worker w : table.live()) {
            if (w.killedBecause != null) {
                continue;
            }
            switch (w.role) {
                case SERVING, INCOMING -> checkLiveness(w, config, now);
                case RETIRING -> checkDrain(w, config, now);
            }
        }
    }

    private void checkLiveness(Worker w, SupervisorConfig config, long now) {
        if (w.state == Worker.State.STARTING && now - w.startedNanos > config.bootTimeout().toNanos()) {
            kill(w, "boot timeout", w.name() + " not ready after " + Setting.format(config.bootTimeout()) + ": SIGKILL");
        } else if (w.state == Worker.State.READY && now - w.lastHeartbeatNanos > config.workerTimeout().toNanos()) {
            kill(w, "hung", w.name() + " hung (no heartbeat for "
                    + TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos) + " ms): SIGKILL");
        }
    }

    private void checkDrain(Worker w, SupervisorConfig config, long now) {
        Duration drain = config.worker().drainTimeout();
        if (now - w.drainStartedNanos > drain.plus(DRAIN_GRACE).toNanos()) {
            kill(w, "drain timeout", w.name() + " still draining after " + Setting.format(drain)
                    + " + " + Setting.format(DRAIN_GRACE) + ": SIGKILL");
        }
    }

    private static void kill(Worker w, String reason, String message) {
        LOG.warn("worker_killed").with("slot", w.slot).with("pid", w.pid).with("reason", reason).log(message);
        w.kill(reason);
    }
}
