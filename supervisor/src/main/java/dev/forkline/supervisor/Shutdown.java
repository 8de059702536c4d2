package dev.forkline.supervisor;

import dev.forkline.config.Setting;
import dev.forkline.logging.Log;
import dev.forkline.os.ExitCodes;
import dev.forkline.protocol.ControlMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The stop (INT/TERM, POST /stop, a boot error): every worker gets {@code drain} over its stdin
 * (SIGTERM if the pipe is broken: commands first, signals as the fallback, as in nginx); at
 * FORKLINE_SHUTDOWN_TIMEOUT the stragglers get SIGKILL. A second INT/TERM sends {@code stop}.
 * When every worker has gone it logs who exited how; a stop that had to SIGKILL workers exits
 * with {@link ExitCodes#STOP_FORCED} instead of 0.
 */
final class Shutdown {
    private static final Log LOG = Log.get(Shutdown.class);

    private final WorkerTable table;
    private final Clock clock;
    private int exitCode = ExitCodes.OK;
    private Duration timeout;
    private long deadline;
    private boolean killedAtDeadline;
    private int byThemselves;
    private final List<String> killed = new ArrayList<>();
    /** How the workers of the stop exited ("code 0", "signal KILL (9)"), and how many each way. */
    private final java.util.Map<String, Integer> exits = new java.util.TreeMap<>();

    Shutdown(WorkerTable table, Clock clock) {
        this.table = table;
        this.clock = clock;
    }

    void begin(String why, int code, Duration timeout) {
        this.exitCode = code;
        this.timeout = timeout;
        long now = clock.nanos();
        this.deadline = now + timeout.toNanos();
        List<Worker> live = List.copyOf(table.live());
        table.timeline.add("stop", -1, -1, -1, why + ": stopping " + live.size() + " workers");
        LOG.info("stop_started").with("workers", live.size()).with("trigger", why).with("exit_code", code)
                .with("timeout_ms", timeout.toMillis())
                .log(why + ": stopping " + live.size() + " workers (timeout " + Setting.format(timeout) + ")");
        live.forEach(w -> w.drain(now));
    }

    /** A second INT/TERM: close every connection now. */
    void now(String why) {
        LOG.info("stop_now").with("trigger", why).log(why + " again: closing every connection now");
        table.live().forEach(w -> w.handle.send(new ControlMessage.Stop()));
    }

    /** SIGKILL to whatever still runs at the deadline. */
    void tick() {
        if (killedAtDeadline || clock.nanos() - deadline < 0) {
            return;
        }
        killedAtDeadline = true;
        for (Worker w : table.live()) {
            table.timeline.add("kill", w, "SIGKILL: still running after the shutdown timeout");
            w.about(LOG.warn("worker_killed")).with("reason", "shutdown timeout")
                    .log(w.name() + " still running after " + Setting.format(timeout) + ": SIGKILL");
            w.kill("shutdown timeout");
        }
    }

    /**
     * A worker exited during the stop. It was killed if the supervisor sent SIGKILL and that is what
     * it died of: one that exited by itself just before (its exit was still on its way) was not.
     */
    void exited(Worker w, int exitValue) {
        String how = ExitCodes.describe(exitValue);
        exits.merge(how, 1, Integer::sum);
        if (w.killedBecause != null && exitValue == ExitCodes.KILLED) {
            killed.add(w.name());
            if (w.killedBecause.equals("shutdown timeout") && exitCode == ExitCodes.OK) {
                exitCode = ExitCodes.STOP_FORCED;
            }
        } else {
            byThemselves++;
        }
        w.exit(LOG.info("worker_exited"), exitValue).with("expected", true).with("killed_because", w.killedBecause)
                .log(w.name() + " exited with " + how);
    }

    /** Every worker is gone: the summary. */
    void finished() {
        LOG.info("stop_summary").with("exited_by_themselves", byThemselves).with("killed", List.copyOf(killed))
                .with("exits", java.util.Map.copyOf(exits)).with("exit_code", exitCode)
                .log("all workers stopped (" + byThemselves + " exited by themselves, "
                        + (killed.isEmpty() ? "none killed" : killed.size() + " killed: " + String.join(", ", killed))
                        + "); exiting with code " + exitCode);
    }

    int exitCode() {
        return exitCode;
    }
}
