package dev.forkline.supervisor;

import dev.forkline.supervisor.Simulation.Fate;
import dev.forkline.supervisor.Simulation.NextConfig;
import dev.forkline.supervisor.Simulation.Scenario;
import dev.forkline.supervisor.Simulation.Settings;
import dev.forkline.supervisor.Simulation.Step;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The supervisor's state machine against long random sequences of what can happen to it: spawn
 * results, readiness, heartbeats, crashes with every exit code and signal, boot errors in either
 * generation, hangs, loop stalls and clock jumps, HUP, TTIN/TTOU, scaling, TERM/INT once and twice,
 * with and without warm standbys (FORKLINE_STANDBY, changed by reloads too).
 * No process and no real time: a fake launcher and a fake clock ({@link Simulation}); the
 * {@link Invariants} are checked after every turn. Bounded in tries, and fast: it runs in
 * {@code ./mvnw verify}. A shrunk counterexample becomes a named test in {@link SupervisorRegressionTest}.
 */
class SupervisorSimulationTest {
    /** Every exit code a worker can have: ours, the JVM's, and death by the usual signals. */
    static final List<Integer> EXIT_VALUES = List.of(0, 1, 2, 3, 4, 5, 127, 128 + 1, 128 + 2, 128 + 3, 128 + 6,
            128 + 9, 128 + 11, 128 + 13, 128 + 15, 255);

    @Property(tries = 1000)
    void invariantsHoldAfterEveryTurn(@ForAll("scenarios") Scenario scenario) {
        Simulation sim = new Simulation(scenario).run();
        // The generator must keep reaching the standby paths, not only the invariants hold.
        net.jqwik.api.statistics.Statistics.label("standby").collect(
                scenario.settings().standby() == 0 ? "none" : sim.logged("worker_promoted").isEmpty() ? "no promotion" : "promoted");
        net.jqwik.api.statistics.Statistics.label("standby").coverage(c -> c.check("promoted").percentage(p -> p >= 10));
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return Combinators.combine(settings(), firstGeneration(), fates().list().ofMinSize(1).ofMaxSize(40),
                steps().list().ofMinSize(1).ofMaxSize(120)).as(Scenario::new);
    }

    static Arbitrary<Settings> settings() {
        Arbitrary<Integer> heartbeat = Arbitraries.integers().between(1, 10).map(n -> n * 100);
        return Combinators.combine(
                Arbitraries.integers().between(1, 4),
                heartbeat,
                Arbitraries.integers().between(0, 20),
                Arbitraries.integers().between(5, 50).map(n -> n * 100),
                Arbitraries.integers().between(0, 30).map(n -> n * 100),
                Arbitraries.integers().between(0, 30).map(n -> n * 100),
                Arbitraries.integers().between(0, 50).map(n -> n * 100),
                Arbitraries.frequency(net.jqwik.api.Tuple.of(1, 0), net.jqwik.api.Tuple.of(2, 1), net.jqwik.api.Tuple.of(1, 2)))
                .as((workers, hb, extra, boot, minUptime, drain, shutdown, standby) ->
                        new Settings(workers, hb, Math.max(1000, 2 * hb) + extra * 100, boot, minUptime, drain, shutdown,
                                standby));
    }

    static Arbitrary<Simulation.GenerationFate> firstGeneration() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(20, Arbitraries.just(Simulation.GenerationFate.NORMAL)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Simulation.GenerationFate.CANNOT_BOOT)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Simulation.GenerationFate.CRASHES_AT_START)));
    }

    static Arbitrary<Fate> fates() {
        Arbitrary<Integer> boot = Arbitraries.integers().between(1, 30).map(n -> n * 50);
        Arbitrary<Integer> drain = Arbitraries.integers().between(0, 40).map(n -> n * 50);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(20, Combinators.combine(boot, drain).as((b, d) -> new Fate(Fate.Kind.BOOTS, b, 0, d))),
                net.jqwik.api.Tuple.of(2, Combinators.combine(boot, Arbitraries.of(EXIT_VALUES), drain)
                        .as((b, x, d) -> new Fate(Fate.Kind.CRASHES_AT_START, b, x, d))),
                net.jqwik.api.Tuple.of(1, Combinators.combine(boot, Arbitraries.of(2, 4), drain)
                        .as((b, x, d) -> new Fate(Fate.Kind.BOOT_ERROR, b, x, d))),
                net.jqwik.api.Tuple.of(1, Combinators.combine(boot, drain).as((b, d) -> new Fate(Fate.Kind.HANGS_AT_BOOT, b, 0, d))));
    }

    static Arbitrary<Step> steps() {
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 7);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(40, Arbitraries.integers().between(1, 60).map(Simulation.Wait::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(2, 120).map(Simulation.Stall::new)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(2, 120).map(Simulation.Jump::new)),
                net.jqwik.api.Tuple.of(8, Combinators.combine(pick, Arbitraries.of(EXIT_VALUES)).as(Simulation.Crash::new)),
                net.jqwik.api.Tuple.of(3, pick.map(Simulation.Hang::new)),
                net.jqwik.api.Tuple.of(1, pick.map(Simulation.BreakPipe::new)),
                net.jqwik.api.Tuple.of(5, Arbitraries.of(Event.Sig.HUP, Event.Sig.TTIN, Event.Sig.TTOU).map(Simulation.Signal::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of(Event.Sig.INT, Event.Sig.TERM).map(Simulation.Signal::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 6).map(Simulation.Scale::new)),
                net.jqwik.api.Tuple.of(3, Arbitraries.of(true, false).map(Simulation.ReloadCommand::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(new Simulation.StopCommand())),
                net.jqwik.api.Tuple.of(5, nextConfig().map(Simulation.SetNextConfig::new)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 3).map(Simulation.SpawnFailures::new)));
    }

    static Arbitrary<NextConfig> nextConfig() {
        return Combinators.combine(Arbitraries.of(NextConfig.Kind.class), Arbitraries.integers().between(1, 5))
                .as(NextConfig::new);
    }
}
