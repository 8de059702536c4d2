package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.logging.Log;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Zero-downtime rolling reload (SIGHUP, POST /reload): read the configuration again, then slot by
 * slot start the next generation's worker as the slot's INCOMING one, wait for its {@code ready},
 * and only then let it take the slot and drain the old one. The port never has fewer listeners
 * than before. New workers that cannot boot abandon the reload; the workers not yet replaced keep
 * serving, and the slots that had already moved are rolled back the same way (the running
 * generation's worker starts as INCOMING, takes the slot once ready, the new one drains), so the
 * server never stays mixed.
 *
 * <p>Also keeps the generations: the one the supervisor runs ({@link #current}) and the last number
 * handed out. The supervisor changes its phase on what these methods return.
 */
final class Reload {
    private static final Log LOG = Log.get(Reload.class);
    /** A reload whose new workers crash this many times in a row at start (no ready one between) is abandoned. */
    static final int ATTEMPTS = 3;

    /** Reads the configuration again, for a reload. */
    interface ConfigSource {
        /**
         * The FORKLINE_CONFIG file a reload reads, or null when there is none: then nothing can have
         * changed (the environment and system properties of a running process are fixed, and so is
         * which file they name).
         */
        String file();

        SupervisorConfig load() throws Exception;
    }

    /**
     * A reload in progress: every slot moves to {@code target}, one slot at a time. Or, after an
     * abandoned reload, a rollback: {@code target} is the running generation, which booted before.
     */
    private static final class InProgress {
        final Generation target;
        final long startedNanos;
        final boolean rollback;
        final List<CompletableFuture<String>> waiters = new ArrayList<>();
        /** Starts of new workers that failed before ready, in a row: a ready one resets it. */
        int failedStarts;

        InProgress(Generation target, long startedNanos, boolean rollback) {
            this.target = target;
            this.startedNanos = startedNanos;
            this.rollback = rollback;
        }
    }

    private final WorkerTable table;
    private final RespawnPolicy respawn;
    private final Clock clock;
    private final ConfigSource source;
    private final AppSnapshots apps;
    private Generation current;
    private int newest;
    private InProgress inProgress;
    private long started;
    private Snapshot.LastReload last;

    /**
     * Starts with generation 1 of {@code config}, taking its copy of the application.
     *
     * @throws dev.forkline.config.ConfigException if the copy is not a loadable application
     * @throws java.io.UncheckedIOException if it cannot be copied
     */
    Reload(SupervisorConfig config, AppSnapshots apps, WorkerTable table, RespawnPolicy respawn, Clock clock,
           ConfigSource source) {
        this.apps = apps;
        this.current = Generation.of(1, config, apps);
        this.newest = current.number();
        this.table = table;
        this.respawn = respawn;
        this.clock = clock;
        this.source = source;
    }

    /** The generation whose settings the supervisor runs with (its timeouts, its log level). */
    Generation current() {
        return current;
    }

    /** A reload, or the rollback of an abandoned one, is moving slots. */
    boolean underWay() {
        return inProgress != null;
    }

    /** The slots that had moved to an abandoned reload's generation are moving back. */
    boolean rollingBack() {
        return inProgress != null && inProgress.rollback;
    }

    /**
     * Whether a worker runs a generation newer than the running one: a reload's, which has never
     * booted. A rollback's workers run the running generation.
     */
    boolean isNew(Generation g) {
        return g.number() > current.number();
    }

    /**
     * The generation the status reports: the one the supervisor runs. A reload's new generation
     * takes its place only once every slot runs it, and an abandoned one never does.
     */
    int reported() {
        return current.number();
    }

    /**
     * The supervisor runs the oldest generation any slot holds. That changes without a reload
     * completing when the slots still on an older one go away while no reload moves them: a stop
     * that cancels a reload in the same turn as the slots not yet replaced are scaled away. (An
     * abandoned reload moves its slots back instead: {@link #rollBack}.)
     */
    void settle() {
        Generation oldest = null;
        for (WorkerTable.Slot s : table.slots()) {
            if (oldest == null || s.generation.number() < oldest.number()) {
                oldest = s.generation;
            }
        }
        if (oldest != null && oldest != current && (inProgress == null || oldest != inProgress.target)) {
            current = oldest;
            applyLogging();
            LOG.info("generation_settled").with("generation", current.number())
                    .log("every slot runs generation " + current.number() + " or newer now");
        }
    }

    /** How far a reload (or a rollback) under way is, for the views ("reloading 2/4"); null when none is. */
    Snapshot.ReloadProgress progress() {
        if (inProgress == null) {
            return null;
        }
        int done = 0;
        for (WorkerTable.Slot s : table.slots()) {
            Worker w = table.serving(s.index);
            if (w != null && w.generationNumber() == inProgress.target.number()) {
                done++;
            }
        }
        return new Snapshot.ReloadProgress(inProgress.target.number(), done, table.size());
    }

    /** The generation a reload (or a rollback) under way moves to, 0 when none is. */
    int target() {
        return inProgress != null ? inProgress.target.number() : 0;
    }

    /** How the last reload ended; null before the first. */
    Snapshot.LastReload last() {
        return last;
    }

    private void ended(int generation, String outcome, String reason, Integer slot) {
        last = new Snapshot.LastReload(generation, outcome, reason, slot, clock.epochMillis());
    }

    /** Reloads started since the supervisor started. */
    long count() {
        return started;
    }

    /**
     * Reads the configuration and starts a reload to the next generation, which it returns.
     *
     * @throws Event.Refused when the configuration cannot be read or would move the listener
     */
    Generation begin(String why, CompletableFuture<String> waiter) {
        SupervisorConfig next = readConfig(why);
        Generation target;
        try {
            // The bytes on disk now are what this generation runs, respawns included.
            target = Generation.of(newest + 1, next, apps);
        } catch (ConfigException e) {
            throw refuse("reload refused, the application cannot be loaded: " + e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            throw refuse("reload refused: " + e.getMessage());
        }
        newest++;
        if (rollingBack()) {
            // The new reload takes over from the rollback: it moves every slot, moved back or not.
            for (Worker w : table.withRole(Role.INCOMING)) {
                w.kill("rollback superseded");
                table.assign(w, Role.RETIRING);
            }
        }
        inProgress = new InProgress(target, clock.nanos(), false);
        started++;
        join(waiter);
        table.timeline.add("reload", -1, -1, newest, why + ": reloading to generation " + newest);
        LOG.info("reload_started").with("generation", newest).with("trigger", why)
                .log(why + ": reloading to generation " + newest + ", one slot at a time");
        return inProgress.target;
    }

    /** A second request while a reload is under way waits for the same one. */
    int join(String why, CompletableFuture<String> waiter) {
        LOG.info("reload_joined").with("generation", inProgress.target.number()).with("trigger", why)
                .log(why + ": a reload to generation " + inProgress.target.number() + " is already under way");
        join(waiter);
        return inProgress.target.number();
    }

    private void join(CompletableFuture<String> waiter) {
        if (waiter != null) {
            inProgress.waiters.add(waiter);
        }
    }

    private SupervisorConfig readConfig(String why) {
        SupervisorConfig next;
        String file = source.file();
        if (file != null) {
            LOG.info("config_read").with("file", file).log(why + ": reading the settings again from FORKLINE_CONFIG=" + file);
        } else {
            LOG.info("config_read").with("file", null)
                    .log(why + ": no FORKLINE_CONFIG file, so the settings stay as they are (the environment and"
                            + " system properties of a running process cannot change); new workers run the jar now"
                            + " on disk");
        }
        try {
            next = source.load();
        } catch (ConfigException e) {
            throw refuse("reload refused, the configuration is invalid: " + e.getMessage());
        } catch (Exception e) {
            throw refuse("reload refused, cannot read the configuration: " + e);
        }
        SupervisorConfig now = current.config();
        String listen = AdminConfig.hostPort(now.worker().host(), now.worker().port());
        String nextListen = AdminConfig.hostPort(next.worker().host(), next.worker().port());
        // The built-in server's address: an application's ports are its own (its config), and its new
        // workers bind wherever it now says while the old ones drain.
        if (now.app().isEmpty() && next.app().isEmpty() && !listen.equals(nextListen)) {
            throw refuse("reload refused: FORKLINE_HOST/FORKLINE_PORT changed from " + listen + " to " + nextListen
                    + "; a reload keeps the listening address, restart to move it");
        }
        if (!next.admin().equals(now.admin())) {
            LOG.warn("reload_admin_unchanged")
                    .log("reload: FORKLINE_ADMIN_* changed; the admin API keeps its settings until a restart");
        }
        return next;
    }

    /** A reload that cannot start: logged, kept as the last reload's outcome, and the exception to throw. */
    Event.Refused refuse(String message) {
        LOG.error("reload_refused").with("reason", message).log(message);
        ended(0, "refused", message, null);
        return new Event.Refused(message, last);
    }

    /**
     * One step: while no slot has an incoming worker, start one for the first slot that does not
     * run the target generation yet (its own, or its serving worker's). Returns true when every
     * slot runs it: the reload (or the rollback) is complete.
     */
    boolean advance() {
        if (inProgress == null) {
            return false;
        }
        if (table.anyIncoming()) {
            return false; // one slot at a time
        }
        long now = clock.nanos();
        int target = inProgress.target.number();
        for (WorkerTable.Slot slot : table.slots()) {
            Worker serving = table.serving(slot.index);
            if (slot.generation.number() != target || (serving != null && serving.generationNumber() != target)) {
                if (RespawnPolicy.due(slot, now)) {
                    spawnIncoming(slot);
                }
                return false;
            }
        }
        complete();
        return true;
    }

    private void spawnIncoming(WorkerTable.Slot slot) {
        Worker old = table.serving(slot.index);
        Worker w;
        if (inProgress.rollback) {
            // A failure is a respawn's: no process, so no exit will come, and the rollback tries
            // again after the longest delay.
            w = respawn.start(slot, inProgress.target, Role.INCOMING);
            if (w == null) {
                return;
            }
        } else {
            try {
                w = table.spawn(slot.index, inProgress.target, Role.INCOMING);
            } catch (IOException e) {
                abandon("cannot start worker " + slot.index + ": " + e.getMessage(), slot.index);
                return;
            }
        }
        table.timeline.add("spawn", w, "spawned to replace " + (old != null ? "pid " + old.pid : "an empty slot"));
        w.about(LOG.info("worker_spawned")).with("replaces", old != null ? old.pid : null)
                .log(w.name() + " spawned (generation " + w.generationNumber() + ", to replace "
                        + (old != null ? "pid " + old.pid : "an empty slot") + ")");
    }

    /** The incoming worker is ready: it takes the slot, and the old one drains. */
    void takeOver(Worker incoming) {
        WorkerTable.Slot slot = table.slot(incoming.slot);
        Worker old = table.serving(slot.index);
        table.assign(incoming, Role.SERVING);
        slot.generation = incoming.generation;
        inProgress.failedStarts = 0;
        if (old != null) {
            table.retire(old, "replaced by pid " + incoming.pid + " of generation " + incoming.generationNumber());
        }
        Snapshot.ReloadProgress p = progress();
        table.timeline.add(inProgress.rollback ? "rollback_step" : "reload_step", incoming, "took over slot " + slot.index
                + (old != null ? " from pid " + old.pid : "") + " (" + p.done() + "/" + p.slots() + ")");
    }

    /**
     * An incoming worker crashed before it was ready. Returns true if that abandons the reload
     * ({@link #ATTEMPTS} failed starts in a row). A rollback is never abandoned: its generation
     * booted before, and its slot's crash-loop delay paces the next try, as for a respawn.
     */
    boolean incomingFailed(Worker w, int exitValue) {
        if (inProgress != null && !inProgress.rollback && ++inProgress.failedStarts >= ATTEMPTS) {
            abandon("generation " + inProgress.target.number() + " failed to start " + ATTEMPTS + " times in a row (last: "
                    + w.name() + " " + dev.forkline.os.ExitCodes.describe(exitValue) + ")", w.slot);
            return true;
        }
        return false;
    }

    private void complete() {
        if (inProgress.rollback) {
            long ms = TimeUnit.NANOSECONDS.toMillis(clock.nanos() - inProgress.startedNanos);
            table.timeline.add("rollback_done", -1, -1, current.number(), "every slot runs generation "
                    + current.number() + " again");
            LOG.info("rollback_completed").with("generation", current.number()).with("millis", ms)
                    .log("every slot runs generation " + current.number() + " again (rolled back in " + ms + " ms)");
            inProgress = null;
            return;
        }
        current = inProgress.target;
        applyLogging();
        long ms = TimeUnit.NANOSECONDS.toMillis(clock.nanos() - inProgress.startedNanos);
        table.timeline.add("reload_done", -1, -1, current.number(), "reload to generation " + current.number()
                + " complete in " + ms + " ms");
        LOG.info("reload_completed").with("generation", current.number()).with("millis", ms)
                .log("reload to generation " + current.number() + " complete in " + ms + " ms");
        String body = "{\"reloaded\":true,\"generation\":" + current.number() + ",\"millis\":" + ms + "}";
        inProgress.waiters.forEach(w -> w.complete(body));
        ended(current.number(), "completed", "", null);
        inProgress = null;
    }

    /**
     * Gives up, because of the new worker of {@code slot}: it is killed, the workers not yet
     * replaced keep serving, and the slots that had moved to the new generation move back.
     */
    void abandon(String why, int slot) {
        int failed = inProgress.target.number();
        table.timeline.add("reload_failed", -1, -1, failed, "reload to generation " + failed + " abandoned: " + why);
        LOG.error("reload_abandoned").with("generation", failed).with("slot", slot).with("reason", why)
                .log("reload to generation " + failed + " abandoned: " + why + "; workers not yet replaced keep serving");
        for (Worker w : table.withRole(Role.INCOMING)) {
            w.kill("reload abandoned");
            table.assign(w, Role.RETIRING);
        }
        ended(failed, "abandoned", why, slot);
        Event.Refused refused = new Event.Refused("reload to generation " + failed + " abandoned: " + why, last);
        inProgress.waiters.forEach(w -> w.completeExceptionally(refused));
        inProgress = null;
        rollBack(failed);
    }

    /**
     * After an abandoned reload: every slot respawns with the running generation again, and the
     * slots whose worker already runs the abandoned one get the running generation's worker back,
     * one slot at a time as in a reload (with its settings and its copy of the application).
     */
    private void rollBack(int abandoned) {
        List<Integer> moved = new ArrayList<>();
        for (WorkerTable.Slot s : table.slots()) {
            Worker serving = table.serving(s.index);
            if (s.generation.number() != current.number()
                    || (serving != null && serving.generationNumber() != current.number())) {
                moved.add(s.index);
                s.generation = current;
            }
        }
        if (moved.isEmpty()) {
            return;
        }
        inProgress = new InProgress(current, clock.nanos(), true);
        table.timeline.add("rollback", -1, -1, current.number(), "moving slots " + moved + " back to generation "
                + current.number());
        LOG.warn("rollback_started").with("generation", current.number()).with("abandoned", abandoned)
                .with("slots", List.copyOf(moved))
                .log("moving slots " + moved + " back from generation " + abandoned + " to generation "
                        + current.number() + ", one at a time: the server never stays mixed");
    }

    /**
     * Deletes the application copies of generations nobody runs or will start: not the current
     * one, not a reload's, none a slot or a live worker holds.
     */
    void retainApps() {
        java.util.Set<Integer> inUse = new java.util.HashSet<>();
        inUse.add(current.number());
        if (inProgress != null) {
            inUse.add(inProgress.target.number());
        }
        table.slots().forEach(s -> inUse.add(s.generation.number()));
        table.live().forEach(w -> inUse.add(w.generation.number()));
        apps.retain(inUse);
    }

    /** Every worker is gone: every copy goes. */
    void closeApps() {
        apps.close();
    }

    private void applyLogging() {
        dev.forkline.logging.Logs.setLevel(current.config().logLevel());
        dev.forkline.logging.Logs.setFormat(current.config().logFormat());
    }

    /** The supervisor stops: whoever waits for the reload is told so; the incoming worker drains with the rest. */
    void cancel(String why) {
        if (inProgress != null) {
            for (Worker w : table.withRole(Role.INCOMING)) {
                table.assign(w, Role.RETIRING);
            }
            if (inProgress.rollback) {
                inProgress = null; // the last reload's outcome stays: abandoned, and why
                return;
            }
            ended(inProgress.target.number(), "abandoned", why, null);
            Event.Refused refused = new Event.Refused(why, last);
            inProgress.waiters.forEach(w -> w.completeExceptionally(refused));
            inProgress = null;
        }
    }
}
