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
}
