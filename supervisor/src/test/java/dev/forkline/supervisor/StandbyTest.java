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
 * Warm standbys (FORKLINE_STANDBY) in the simulated supervisor: named scenarios beside the random
 * ones of {@link SupervisorSimulationTest}, with every invariant checked after every turn. The fake
 * workers boot in 50 ms; the first start spawns the slots, the standbys follow once it is over.
 */
class StandbyTest {
    /** {@code workers} slots and {@code standby} standbys, the quick settings of the regression tests. */
    static Settings settings(int workers, int standby) {
        return SupervisorRegressionTest.settings(workers).withStandby(standby);
    }

    static Simulation started(Settings settings, List<Fate> fates, Step... steps) {
        return new Simulation(new Scenario(settings, GenerationFate.NORMAL, fates, List.of())).start().steps(steps);
    }

    static Simulation started(Settings settings, Step... steps) {
        return started(settings, List.of(Fate.boots(50)), steps);
    }

    /** A crash of the process serving {@code slot} now (the simulation's Crash picks among the live processes). */
    static Simulation.Crash crashOfSlot(Simulation sim, int slot, int exitValue) {
        Launcher.WorkerHandle serving = sim.supervisor.table().serving(slot).handle;
        return new Simulation.Crash(List.copyOf(sim.alive).indexOf(serving), exitValue);
    }

    static List<Worker> standbys(Simulation sim) {
        return sim.supervisor.table().withRole(Role.STANDBY);
    }

    @Test
    void aStandbyBootsOnceTheFirstStartIsOverAndNeitherListensNorCounts() {
        Simulation sim = started(settings(2, 1), new Simulation.Wait(5));
        assertThat(standbys(sim)).singleElement().satisfies(w -> {
            assertThat(w.state).isEqualTo(Worker.State.BOOTED);
            assertThat(w.slot).isEqualTo(Launcher.STANDBY);
            assertThat(((Simulation.FakeProcess) w.handle).ready).as("it never sent ready").isFalse();
        });
        // Spawned after the slots' workers were ready, not with them.
        assertThat(sim.processes).extracting(p -> p.slot).containsExactly(0, 1, Launcher.STANDBY);
        Snapshot s = sim.supervisor.snapshot();
        assertThat(s.ready()).isTrue();
        assertThat(s.desiredStandby()).isEqualTo(1);
        assertThat(s.workers()).filteredOn(w -> w.role().equals("standby"))
                .singleElement().matches(w -> w.slot() == Launcher.STANDBY && w.state().equals("booted"));
    }

    @Test
    void aKilledServingWorkersSlotGetsTheStandbyInTheTurnThatSeesTheExitAndANewStandbyStarts() {
        Simulation sim = started(settings(2, 1), new Simulation.Wait(5));
        long standby = standbys(sim).get(0).pid;

        sim.steps(crashOfSlot(sim, 0, 128 + 9), new Simulation.Wait(1));

        Worker promoted = sim.supervisor.table().serving(0);
        assertThat(promoted.pid).isEqualTo(standby);
        assertThat(((Simulation.FakeProcess) promoted.handle).promotedTo).isEqualTo(0);
        assertThat(sim.processes).as("no JVM started for slot 0").filteredOn(p -> p.slot == 0).hasSize(1);
        assertThat(standbys(sim)).as("its replacement starts at once").singleElement()
                .matches(w -> w.pid != standby && w.state == Worker.State.STARTING);
        assertThat(sim.logged("worker_promoted")).singleElement()
                .satisfies(e -> assertThat(e.fields()).containsEntry("slot", 0).containsEntry("pid", standby)
                        .containsEntry("last_exit", "signal KILL (9)"));

        sim.steps(new Simulation.Wait(1));
        assertThat(sim.supervisor.table().serving(0).state).isEqualTo(Worker.State.READY);
        assertThat(sim.supervisor.snapshot().ready()).isTrue();
        assertThat(sim.supervisor.snapshot().restartsByReason()).containsEntry("signal", 1L);
    }

    @Test
    void aStandbyTakesASlotAtOnceAfterOneEarlyDeathAndAfterTheCrashLoopDelayFromTheSecond() {
        // FORKLINE_MIN_UPTIME 5 s: every death here is an early one.
        Settings s = new Settings(1, 100, 1000, 500, 5000, 0, 1000, 2);
        Simulation sim = started(s, new Simulation.Wait(5));
        sim.steps(crashOfSlot(sim, 0, 128 + 9), new Simulation.Wait(1));
        assertThat(sim.logged("worker_promoted")).as("no 100 ms delay after the first early death").hasSize(1);
        sim.steps(new Simulation.Wait(1), crashOfSlot(sim, 0, 128 + 9), new Simulation.Wait(1));
        assertThat(sim.supervisor.table().serving(0)).as("the second in a row waits %d ms",
                RespawnPolicy.backoff(2).toMillis()).isNull();
        sim.steps(new Simulation.Wait(2));
        assertThat(sim.logged("worker_promoted")).hasSize(2);
    }

    @Test
    void aWorkerKilledAsHungIsReplacedByTheStandby() {
        Simulation sim = started(settings(2, 1), new Simulation.Wait(5));
        long standby = standbys(sim).get(0).pid;
        sim.steps(new Simulation.Hang(List.copyOf(sim.alive).indexOf(sim.supervisor.table().serving(0).handle)),
                new Simulation.Wait(15));
        assertThat(sim.supervisor.table().serving(0).pid).isEqualTo(standby);
        assertThat(sim.supervisor.snapshot().restartsByReason()).containsEntry("hung", 1L);
        assertThat(sim.processes).filteredOn(p -> p.slot == 0).hasSize(1);
    }

    @Test
    void scalingUpPromotesTheStandbyIntoTheNewSlot() {
        Simulation sim = started(settings(1, 1), new Simulation.Wait(5));
        long standby = standbys(sim).get(0).pid;
        sim.steps(new Simulation.Signal(Event.Sig.TTIN), new Simulation.Wait(1));
        assertThat(sim.supervisor.table().serving(1).pid).isEqualTo(standby);
        assertThat(sim.processes).filteredOn(p -> p.slot == 1).isEmpty();
    }

    @Test
    void aReloadReplacesTheStandbysWithTheNewGenerationOnceItIsComplete() {
        Simulation sim = started(settings(1, 1), new Simulation.Wait(5));
        Simulation.FakeProcess old = (Simulation.FakeProcess) standbys(sim).get(0).handle;
        sim.steps(new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(20));
        assertThat(sim.supervisor.snapshot().lastReload().outcome()).isEqualTo("completed");
        assertThat(standbys(sim)).singleElement().matches(w -> w.generationNumber() == 2 && w.state == Worker.State.BOOTED);
        assertThat(old.alive).isFalse();
        assertThat(old.exitValue).as("drained, not killed").isZero();
    }

    @Test
    void anOldGenerationsSlotThatDiesDuringAReloadGetsTheOldStandbyAndTheReloadReplacesItInTurn() {
        // Slot 1 still runs generation 1 while the reload replaces slot 0: its worker dies, and the
        // generation-1 standby stands in for it; the reload then moves slot 1 to generation 2 as usual.
        Simulation sim = started(settings(2, 1), new Simulation.Wait(5));
        long standby = standbys(sim).get(0).pid;
        sim.steps(new Simulation.Signal(Event.Sig.HUP), crashOfSlot(sim, 1, 128 + 9), new Simulation.Wait(1));
        assertThat(sim.logged("worker_promoted")).singleElement()
                .satisfies(e -> assertThat(e.fields()).containsEntry("slot", 1).containsEntry("pid", standby)
                        .containsEntry("generation", 1));
        sim.steps(new Simulation.Wait(30));
        assertThat(sim.supervisor.snapshot().lastReload().outcome()).isEqualTo("completed");
        assertThat(sim.supervisor.table().slots()).allMatch(s -> s.generation.number() == 2);
        assertThat(standbys(sim)).singleElement().matches(w -> w.generationNumber() == 2);
    }

    @Test
    void aSlotOfANewerGenerationThanTheStandbysGetsANewWorkerNotTheStandby() {
        // After slot 0 moved to generation 2 the standby (generation 1) may not serve it: that would
        // put generation 1 back in a slot the reload has moved on.
        Simulation sim = started(settings(2, 1), new Simulation.Wait(5), new Simulation.Signal(Event.Sig.HUP),
                new Simulation.Wait(2));
        assertThat(sim.supervisor.table().slot(0).generation.number()).isEqualTo(2);
        assertThat(standbys(sim)).singleElement().matches(w -> w.generationNumber() == 1);
        sim.steps(crashOfSlot(sim, 0, 128 + 9), new Simulation.Wait(1));
        assertThat(sim.logged("worker_promoted")).isEmpty();
        assertThat(sim.supervisor.table().serving(0).generationNumber()).isEqualTo(2);
    }

    @Test
    void duringARollbackASlotThatDiesGetsTheStandbyOfTheRunningGeneration() {
        // Slots 0..2, the standby, then the reload's new workers: slot 0's boots, slot 1's cannot.
        List<Fate> fates = List.of(Fate.boots(50), Fate.boots(50), Fate.boots(50), Fate.boots(50), Fate.boots(50),
                new Fate(Fate.Kind.BOOT_ERROR, 50, 4, 0), Fate.boots(50));
        Simulation sim = SupervisorRegressionTest.untilAbandoned(started(settings(3, 1), fates, new Simulation.Wait(5),
                new Simulation.Signal(Event.Sig.HUP)));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.ROLLING_BACK);
        long standby = standbys(sim).get(0).pid;

        sim.steps(crashOfSlot(sim, 2, 128 + 9), new Simulation.Wait(1));
        assertThat(sim.logged("worker_promoted")).singleElement().satisfies(e -> assertThat(e.fields())
                .containsEntry("slot", 2).containsEntry("pid", standby).containsEntry("generation", 1));

        sim.steps(new Simulation.Wait(20));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.RUNNING);
        assertThat(sim.supervisor.table().withRole(Role.SERVING)).hasSize(3).allMatch(w -> w.generationNumber() == 1);
        assertThat(standbys(sim)).singleElement().matches(w -> w.generationNumber() == 1 && w.state == Worker.State.BOOTED);
    }

    @Test
    void aStandbysBootErrorAfterTheFirstStartIsRetriedNotAHalt() {
        Simulation sim = started(settings(2, 1),
                List.of(Fate.boots(50), Fate.boots(50), new Fate(Fate.Kind.BOOT_ERROR, 50, 4, 0), Fate.boots(50)),
                new Simulation.Wait(10));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.RUNNING);
        assertThat(sim.supervisor.snapshot().restartsByReason()).containsEntry("boot_error", 1L);
        assertThat(standbys(sim)).singleElement().matches(w -> w.state == Worker.State.BOOTED);
        assertThat(sim.supervisor.table().standbyPlace().restarts).isEqualTo(1);
    }

    @Test
    void aStandbyThatKeepsDyingYoungIsRestartedWithTheGrowingDelay() {
        Settings s = new Settings(1, 100, 1000, 500, 5000, 0, 1000, 1);
        Fate crashes = new Fate(Fate.Kind.CRASHES_AT_START, 50, 1, 0);
        Simulation sim = started(s, List.of(Fate.boots(50), crashes), new Simulation.Wait(30));
        // Spawned at 100 ms, then each 50 ms after the delay of its predecessor's death: 100, 200, 400,
        // 800 ms... about 5 standbys in 3 s, not one per turn.
        assertThat(sim.processes).filteredOn(p -> p.standby).hasSizeBetween(4, 6);
        assertThat(sim.logged("respawn_delayed")).isNotEmpty().allSatisfy(e ->
                assertThat(e.fields()).containsEntry("role", "standby").containsEntry("slot", null));
    }

    @Test
    void aReloadThatLowersFORKLINE_STANDBYRetiresTheExtraStandbys() {
        Simulation sim = started(settings(1, 2), new Simulation.Wait(5));
        assertThat(standbys(sim)).hasSize(2);
        sim.steps(new Simulation.SetNextConfig(new Simulation.NextConfig(Simulation.NextConfig.Kind.STANDBY, 1)),
                new Simulation.Signal(Event.Sig.HUP), new Simulation.Wait(20));
        assertThat(standbys(sim)).isEmpty();
        assertThat(sim.supervisor.snapshot().desiredStandby()).isZero();
    }

    @Test
    void aStopDrainsTheStandbysWithTheWorkers() {
        Simulation sim = started(settings(1, 1), new Simulation.Wait(5), new Simulation.Signal(Event.Sig.TERM),
                new Simulation.Wait(10));
        assertThat(sim.supervisor.phase()).isEqualTo(Phase.STOPPED);
        assertThat(sim.supervisor.exitCode()).isZero();
        assertThat(sim.logged("stop_summary")).singleElement()
                .satisfies(e -> assertThat(e.fields()).containsEntry("exited_by_themselves", 2));
    }

    @Test
    void aStandbyWhosePipeIsBrokenIsNotPromotedAndTheSlotGetsANewWorker() {
        Simulation sim = started(settings(1, 1), new Simulation.Wait(5));
        int standby = List.copyOf(sim.alive).indexOf(standbys(sim).get(0).handle);
        sim.steps(new Simulation.BreakPipe(standby), crashOfSlot(sim, 0, 128 + 9), new Simulation.Wait(1));
        assertThat(sim.logged("worker_promoted")).isEmpty();
        assertThat(sim.processes).filteredOn(p -> p.slot == 0).hasSize(2);
    }
}
