package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.supervisor.Simulation.Fate;
import dev.forkline.supervisor.Simulation.GenerationFate;
import dev.forkline.supervisor.Simulation.Scenario;
import dev.forkline.supervisor.Simulation.Settings;
import dev.forkline.supervisor.Simulation.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Counterexamples the simulation found ({@link SupervisorSimulationTest}), shrunk and kept as
 * named cases: each failed before its fix. They run the same {@link Simulation}, so every
 * invariant is checked after every turn, and each asserts the outcome it is named for.
 */
class SupervisorRegressionTest {
    /** One worker slot or more, a 100 ms heartbeat, a 1 s worker timeout, quick boots and drains. */
    static Settings settings(int workers) {
        return new Settings(workers, 100, 1000, 500, 0, 0, 1000);
    }

    static Simulation run(Settings settings, GenerationFate first, List<Fate> fates, Step... steps) {
        return new Simulation(new Scenario(settings, first, fates, List.of(steps))).run();
    }

    /** A started simulation, for a test that looks at the state between steps (no stop at the end). */
    static Simulation started(Settings settings, List<Fate> fates, Step... steps) {
        return new Simulation(new Scenario(settings, GenerationFate.NORMAL, fates, List.of())).start().steps(steps);
    }

    static Simulation run(Settings settings, Step... steps) {
        return run(settings, GenerationFate.NORMAL, List.of(Fate.boots(50)), steps);
    }

    // ---- issue 10, defect 2: a stalled loop killed healthy workers ----

    @Test
    void heartbeatsQueuedWhileTheLoopStalledCountWhenItCatchesUp() {
        // Shrunk from: [Wait, Stall(15)] with 2 workers. The loop used to judge after the first
        // queued event, with the other worker's heartbeats still in the queue, and SIGKILLed it.
        Simulation sim = run(settings(2), new Simulation.Wait(3), new Simulation.Stall(15), new Simulation.Wait(5));
        assertThat(sim.processes).as("nobody was killed").allMatch(p -> p.exitValue == null || p.exitValue != 137);
    }

    @Test
    void heartbeatsWrittenWhileTheSupervisorWasStoppedCountOnceRead() {
        // SIGSTOP/SIGCONT of the supervisor (or a long VM pause): its readers were stopped too, so
        // the heartbeats sent meanwhile arrive after the loop's first turn.
        Simulation sim = run(settings(2), new Simulation.Wait(3), new Simulation.Jump(15), new Simulation.Wait(5));
        assertThat(sim.processes).as("nobody was killed").allMatch(p -> p.exitValue == null || p.exitValue != 137);
    }

    @Test
    void aReadyWrittenWhileTheSupervisorWasStoppedIsNoBootTimeout() {
        // Shrunk: [Jump(6)] with a 500 ms boot timeout and a worker ready after 50 ms.
        Simulation sim = run(settings(1), new Simulation.Jump(6), new Simulation.Wait(3));
        assertThat(sim.processes).hasSize(1);
    }

    @Test
    void aReadyWrittenDuringAPauseOfTwoTicksIsNoBootTimeout() {
        // Shrunk: a worker ready 50 ms before its boot timeout, written while the supervisor was
        // stopped for 200 ms. A gap of exactly two ticks was not taken for a stall, and the worker
        // was killed for a boot timeout with its ready waiting in the pipe.
        Simulation sim = run(new Settings(1, 100, 1000, 1500, 0, 0, 1000), GenerationFate.NORMAL,
                List.of(Fate.boots(1450)), new Simulation.Wait(14), new Simulation.Jump(2), new Simulation.Wait(3));
        assertThat(sim.processes).hasSize(1);
    }

    @Test
    void aNewWorkerReadyAndDeadInTheSameTurnShowsItsExitOnItsSlot() {
        // Found with standbys, not theirs: the reload's new worker's ready and its exit arrive in one
        // batch (the ready waited in a pipe while the supervisor was stopped). It takes the slot, then
        // dies serving it; the slot shows that exit, as it should, and the check must see it so.
        Simulation sim = run(settings(1), new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Wait(1), new Simulation.Jump(2), new Simulation.Crash(1, 128 + 2), new Simulation.Wait(1),
                new Simulation.Wait(5));
        assertThat(sim.logged("worker_exited")).anySatisfy(e -> assertThat(e.fields())
                .containsEntry("generation", 2).containsEntry("role", "serving").containsEntry("exit", "signal INT (2)"));
    }

    // ---- issue 10, defect 1: a respawn during a reload could halt the whole server ----

    static Simulation.SetNextConfig nextCannotBoot() {
        return new Simulation.SetNextConfig(new Simulation.NextConfig(Simulation.NextConfig.Kind.CANNOT_BOOT, 0));
    }

    @Test
    void aWorkerOfTheOldGenerationThatDiesDuringAReloadIsRespawnedWithItsOwnGeneration() {
        // Slot 1's worker dies while the reload to a generation that cannot boot is under way. It
        // used to be respawned with the new generation in the serving position; its boot error
        // then halted the server.
        Simulation sim = run(settings(2), new Simulation.Wait(3), nextCannotBoot(), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Crash(1, 128 + 9), new Simulation.Wait(10));
        assertThat(sim.supervisor.exitCode()).isZero();
        assertThat(sim.processes).filteredOn(p -> p.slot == 1 && p.generation == 1).hasSize(2);
    }

    @Test
    void aSlotAddedDuringAReloadStartsWithTheRunningGeneration() {
        Simulation sim = run(settings(1), new Simulation.Wait(3), nextCannotBoot(), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Signal(Event.Sig.TTIN), new Simulation.Wait(10));
        assertThat(sim.supervisor.exitCode()).isZero();
        assertThat(sim.processes).filteredOn(p -> p.slot == 1).first().matches(p -> p.generation == 1);
    }

    @Test
    void aWorkerThatWasReadyAndExitsWithTwoIsRespawnedNotAHalt() {
        // An application's System.exit(2) after ready is a crash, not a configuration error.
        Simulation sim = run(settings(1), new Simulation.Wait(3), new Simulation.Crash(0, 2), new Simulation.Wait(5));
        assertThat(sim.supervisor.exitCode()).isZero();
        assertThat(sim.processes).hasSize(2);
        assertThat(sim.supervisor.snapshot().restartsByReason()).containsEntry("crash", 1L);
    }

    @Test
    void aBootErrorOfARespawnAfterTheFirstStartIsRetriedNotAHalt() {
        // The generation booted before: the next start may work (a port briefly taken, a file
        // being replaced), so it is retried with the crash-loop delay while the others serve.
        Simulation sim = run(settings(2), GenerationFate.NORMAL,
                List.of(Fate.boots(50), Fate.boots(50), new Fate(Fate.Kind.BOOT_ERROR, 50, 4, 0), Fate.boots(50)),
                new Simulation.Wait(3), new Simulation.Crash(0, 128 + 9), new Simulation.Wait(10));
        assertThat(sim.supervisor.exitCode()).isZero();
        assertThat(sim.processes).hasSize(4);
        assertThat(sim.supervisor.snapshot().restartsByReason()).containsEntry("boot_error", 1L);
    }

    @Test
    void aBootErrorAtTheFirstStartHaltsWithTheWorkersCode() {
        Simulation sim = run(settings(2), GenerationFate.CANNOT_BOOT, List.of(Fate.boots(50)), new Simulation.Wait(5));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.STOPPED);
        assertThat(sim.supervisor.exitCode()).isEqualTo(4);
    }

    @Test
    void aReloadThatCannotBootIsAbandonedAndTheOldWorkersKeepServing() {
        Simulation sim = run(settings(2), new Simulation.Wait(3), nextCannotBoot(), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Wait(10));
        assertThat(sim.supervisor.exitCode()).isZero();
        assertThat(sim.processes).filteredOn(p -> p.generation == 1).hasSize(2).allMatch(p -> p.exitValue == 0);
    }

    // ---- issue 10, defect 3: the reported generation, and failed starts "in a row" ----

    @Test
    void theReportedGenerationIsTheRunningOneUntilTheReloadCompletes() {
        Simulation sim = run(settings(2), new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(1));
        assertThat(sim.supervisor.snapshot().generation()).isEqualTo(1); // after SIGTERM, the reload never completed
    }

    @Test
    void anAbandonedReloadReportsTheGenerationStillRunningAndWhy() {
        Simulation sim = run(settings(2), new Simulation.Wait(3), nextCannotBoot(), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Wait(10));
        Snapshot s = sim.supervisor.snapshot();
        assertThat(s.generation()).isEqualTo(1);
        assertThat(s.lastReload().generation()).isEqualTo(2);
        assertThat(s.lastReload().outcome()).isEqualTo("abandoned");
        assertThat(s.lastReload().reason()).contains("could not boot: cannot listen (simulated)");
    }

    // ---- issue 9 review: an abandoned reload left the server mixed, and its exit on the wrong worker ----

    /** Three slots of generation 1 boot; generation 2's first new worker boots, its second cannot. */
    static final List<Fate> SECOND_NEW_WORKER_CANNOT_BOOT = List.of(Fate.boots(50), Fate.boots(50), Fate.boots(50),
            Fate.boots(50), new Fate(Fate.Kind.BOOT_ERROR, 50, 4, 0), Fate.boots(50));

    /** Turns the loop until the reload is abandoned (a few turns). */
    static Simulation untilAbandoned(Simulation sim) {
        for (int i = 0; i < 50 && sim.logged("reload_abandoned").isEmpty(); i++) {
            sim.steps(new Simulation.Wait(1));
        }
        assertThat(sim.logged("reload_abandoned")).as("the reload was abandoned").hasSize(1);
        return sim;
    }

    @Test
    void anAbandonedReloadMovesTheSlotsThatHadMovedBackToTheRunningGeneration() {
        // Slot 0 runs generation 2 when slot 1's new worker cannot boot. Slot 0 used to stay on
        // generation 2 for good: two versions served side by side, one of them "abandoned".
        Simulation sim = untilAbandoned(started(settings(3), SECOND_NEW_WORKER_CANNOT_BOOT,
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP)));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.ROLLING_BACK);
        assertThat(sim.supervisor.snapshot().reloadingTo()).isEqualTo(1);

        sim.steps(new Simulation.Wait(10));
        Snapshot s = sim.supervisor.snapshot();
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.RUNNING);
        assertThat(s.generation()).isEqualTo(1);
        assertThat(s.workers()).hasSize(3).allMatch(w -> w.generation() == 1 && w.role().equals("serving"));
        assertThat(sim.processes).filteredOn(p -> p.generation == 2 && p.slot == 0).singleElement()
                .matches(p -> p.exitValue != null && p.exitValue == 0, "drained after its slot moved back");
        assertThat(sim.logged("rollback_completed")).hasSize(1);
        assertThat(s.lastReload().outcome()).isEqualTo("abandoned");
    }

    @Test
    void aReloadDuringARollbackTakesOverFromIt() {
        Simulation sim = untilAbandoned(started(settings(3), SECOND_NEW_WORKER_CANNOT_BOOT,
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP)));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.ROLLING_BACK);
        sim.steps(new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(1));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.RELOADING);
        assertThat(sim.supervisor.snapshot().reloadingTo()).isEqualTo(3);

        sim.steps(new Simulation.Wait(20));
        assertThat(sim.supervisor.snapshot().lastReload().outcome()).isEqualTo("completed");
        assertThat(sim.supervisor.snapshot().workers()).hasSize(3).allMatch(w -> w.generation() == 3);
    }

    @Test
    void aRollbacksWorkerThatCannotBootIsRetriedNotAnotherAbandonment() {
        // The running generation booted before: its boot error during the rollback is retried with
        // the crash-loop delay, as for a respawn.
        List<Fate> fates = new java.util.ArrayList<>(SECOND_NEW_WORKER_CANNOT_BOOT.subList(0, 5));
        fates.add(new Fate(Fate.Kind.BOOT_ERROR, 50, 4, 0));
        fates.add(Fate.boots(50));
        Simulation sim = started(settings(3), fates,
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(15));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.RUNNING);
        assertThat(sim.supervisor.snapshot().workers()).allMatch(w -> w.generation() == 1);
        assertThat(sim.logged("reload_abandoned")).hasSize(1);
        assertThat(sim.supervisor.snapshot().restartsByReason()).containsEntry("boot_error", 1L);
    }

    @Test
    void aStopThatCancelsAReloadWhoseOldSlotsWereJustScaledAwayReportsTheGenerationLeft() {
        // Shrunk from a simulation run: in one turn, the slot still on generation 1 is scaled away
        // and a stop cancels the reload; every slot left runs generation 2, which must be reported
        // (the rollback of an abandoned reload does not apply: a stop moves nothing back).
        Simulation sim = started(settings(2), List.of(Fate.boots(50)), new Simulation.Wait(3),
                new Simulation.Signal(Event.Sig.HUP));
        for (int i = 0; i < 50 && sim.supervisor.table().slot(0).generation.number() != 2; i++) {
            sim.steps(new Simulation.Wait(1));
        }
        assertThat(sim.supervisor.table().slot(1).generation.number()).isEqualTo(1);
        sim.steps(new Simulation.Scale(1), new Simulation.Signal(Event.Sig.TERM), new Simulation.Wait(1));
        assertThat(sim.supervisor.phase()).isIn(Phase.STOPPING, Phase.STOPPED);
        assertThat(sim.supervisor.snapshot().generation()).isEqualTo(2);
    }

    @Test
    void anAbandonedReloadShowsOnTheSlotWhoseNewWorkerFailedNotAsTheOldWorkersExit() {
        // Slot 1's new worker cannot boot. Its exit used to become slot 1's last exit, shown beside
        // the generation 1 worker that serves the slot and never exited.
        Simulation sim = started(settings(3), SECOND_NEW_WORKER_CANNOT_BOOT,
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(15));
        Snapshot s = sim.supervisor.snapshot();
        assertThat(s.lastReload()).satisfies(r -> {
            assertThat(r.generation()).isEqualTo(2);
            assertThat(r.slot()).isEqualTo(1);
            assertThat(r.reason()).startsWith("worker 1 pid 1004 of generation 2 could not boot");
        });
        assertThat(s.workers()).filteredOn(w -> w.slot() == 1).singleElement()
                .satisfies(w -> assertThat(w.lastExit()).isEmpty())
                .satisfies(w -> assertThat(w.restarts()).isZero());
        io.vertx.core.json.JsonObject status = AdminServer.status(s);
        assertThat(status.getJsonObject("last_reload").getInteger("slot")).isEqualTo(1);
        assertThat(status.getJsonObject("last_reload").getInteger("generation")).isEqualTo(2);
        assertThat(status.getInteger("generation")).isEqualTo(1);
    }

    @Test
    void startsThatFailAndSucceedInTurnDoNotAbandonAReload() {
        // Each of three slots' new worker crashes once at start, then boots: three failed starts,
        // but never two in a row. They used to be counted since the reload began.
        Fate crash = new Fate(Fate.Kind.CRASHES_AT_START, 50, 1, 0);
        Simulation sim = run(settings(3), GenerationFate.NORMAL,
                List.of(Fate.boots(50), Fate.boots(50), Fate.boots(50), crash, Fate.boots(50), crash, Fate.boots(50),
                        crash, Fate.boots(50)),
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(30));
        assertThat(sim.supervisor.snapshot().lastReload().outcome()).isEqualTo("completed");
    }

    // ---- issue 10, defect 5: a stop that SIGKILLs stragglers ----

    @Test
    void aStopThatHasToKillAWorkerExitsWithSixAndSaysWhichOne() {
        // Worker 1's event loop is stuck: it cannot drain, and is killed at the shutdown timeout.
        Simulation sim = run(settings(2), new Simulation.Wait(3), new Simulation.Hang(1),
                new Simulation.Signal(Event.Sig.TERM), new Simulation.Wait(15));
        assertThat(sim.supervisor.exitCode()).isEqualTo(6);
        var summary = sim.logged("stop_summary");
        assertThat(summary).hasSize(1);
        assertThat(summary.get(0).fields()).containsEntry("exited_by_themselves", 1)
                .containsEntry("killed", List.of("worker 1 pid 1001")).containsEntry("exit_code", 6)
                .containsEntry("exits", java.util.Map.of("code 0", 1, "signal KILL (9)", 1));
    }

    @Test
    void aStopWhereEveryWorkerDrainsExitsWithZero() {
        Simulation sim = run(settings(2), new Simulation.Wait(3), new Simulation.Signal(Event.Sig.TERM),
                new Simulation.Wait(15));
        assertThat(sim.supervisor.exitCode()).isZero();
        assertThat(sim.logged("stop_summary")).singleElement()
                .satisfies(e -> assertThat(e.fields()).containsEntry("exited_by_themselves", 2)
                        .containsEntry("killed", List.of()));
    }

    // ---- issue 10, defect 6: a reload undid scaling, and did not say what it read ----

    @Test
    void scalingSurvivesAReloadThatKeepsTheConfiguredWorkerCount() {
        Simulation sim = run(settings(2), new Simulation.Wait(3), new Simulation.Signal(Event.Sig.TTIN),
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(20));
        assertThat(sim.supervisor.snapshot().lastReload().outcome()).isEqualTo("completed");
        assertThat(sim.supervisor.table().size()).isEqualTo(3);
    }

    @Test
    void aReloadWhoseConfigurationChangesTheWorkerCountAppliesIt() {
        Simulation sim = run(settings(2), new Simulation.Wait(3), new Simulation.Signal(Event.Sig.TTIN),
                new Simulation.SetNextConfig(new Simulation.NextConfig(Simulation.NextConfig.Kind.WORKERS, 1)),
                new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(20));
        assertThat(sim.supervisor.table().size()).isEqualTo(1);
    }

    @Test
    void aReloadThatAddsWorkersStartsTheNewSlotsWithTheNewGeneration() {
        // Found by a new user: FORKLINE_WORKERS 1 -> 2 in the file, then HUP; slot 1 booted a worker
        // of generation 1 (old settings, old jar), which served, then this same reload replaced it.
        Simulation sim = run(settings(1), new Simulation.Wait(3),
                new Simulation.SetNextConfig(new Simulation.NextConfig(Simulation.NextConfig.Kind.WORKERS, 2)),
                new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(20));
        assertThat(sim.supervisor.snapshot().lastReload().outcome()).isEqualTo("completed");
        assertThat(sim.supervisor.table().size()).isEqualTo(2);
        assertThat(sim.logged("worker_spawned")).filteredOn(e -> Integer.valueOf(1).equals(e.fields().get("slot")))
                .isNotEmpty().allSatisfy(e -> assertThat(e.fields()).containsEntry("generation", 2));
    }

    @Test
    void aReloadSaysWhichConfigurationFileItRead() {
        Simulation sim = run(settings(1), new Simulation.Wait(3), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Wait(10));
        assertThat(sim.logged("config_read")).singleElement()
                .satisfies(e -> assertThat(e.fields()).containsEntry("file", Simulation.CONFIG_FILE));
    }

    // ---- found while the loop came to handle a whole batch before its timers ----

    @Test
    void aReloadRequestedRightAfterOneWasAbandonedInTheSameTurnStartsANewOne() {
        // One turn handles the new generation's boot error (abandoning the reload) and then a
        // second reload request: the phase must be back to RUNNING before the second one starts.
        Simulation sim = run(settings(1), new Simulation.Wait(3), nextCannotBoot(), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Wait(1), new Simulation.Jump(1), new Simulation.ReloadCommand(false), new Simulation.Wait(5));
        assertThat(sim.logged("reload_started")).hasSize(2);
        assertThat(sim.logged("reload_abandoned")).hasSize(2);
    }
}
