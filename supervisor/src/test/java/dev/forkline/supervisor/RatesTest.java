package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.protocol.WorkerStats;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class RatesTest {

    private static WorkerStats stats(long uptime, long accepted, long requests, long http, long in, long out,
                                     long gc, long cpu) {
        return new WorkerStats(42, 0, 1, uptime, 3, accepted, requests, in, out, http, 0,
                new WorkerStats.Jvm(1000, 2000, gc, 0, cpu));
    }

    @Test
    void ratesAreOverTheWorkersOwnClockBetweenTwoHeartbeats() {
        Rates r = Rates.between(stats(1_000, 10, 100, 50, 1_000, 2_000, 4, 300),
                stats(3_000, 30, 500, 250, 5_000, 10_000, 10, 1_300), Rates.UNKNOWN);
        assertThat(r).isEqualTo(new Rates(10, 300, 2_000, 4_000, 3, 50));
    }

    @Test
    void theSameHeartbeatTwiceKeepsTheRatesAndAnotherProcessHasNone() {
        WorkerStats a = stats(1_000, 10, 100, 0, 0, 0, 0, 0);
        Rates previous = new Rates(1, 2, 3, 4, 5, 6);
        assertThat(Rates.between(a, a, previous)).isSameAs(previous);
        WorkerStats otherPid = new WorkerStats(43, 0, 1, 2_000, 0, 20, 200, 0, 0, 0, 0);
        assertThat(Rates.between(a, otherPid, previous)).isEqualTo(Rates.UNKNOWN);
        assertThat(Rates.between(null, a, previous)).isEqualTo(Rates.UNKNOWN);
    }

    @Test
    void countersGoingBackOrUnknownFiguresGiveUnknownRatesNotNegativeOnes() {
        Rates r = Rates.between(stats(1_000, 50, 100, 0, 10, 10, 7, -1),
                stats(2_000, 40, 200, 0, 20, 20, 3, 500), Rates.UNKNOWN);
        assertThat(r.acceptsPerSecond()).isEqualTo(-1);
        assertThat(r.requestsPerSecond()).isEqualTo(100);
        assertThat(r.gcPerSecond()).isEqualTo(-1);
        assertThat(r.cpuPercent()).isEqualTo(-1);
    }

    @Property(tries = 1000)
    void anyTwoHeartbeatsGiveRatesThatAreUnknownOrFiniteAndNotNegative(
            @ForAll("heartbeats") WorkerStats a, @ForAll("heartbeats") WorkerStats b) {
        Rates r = Rates.between(a, b, Rates.UNKNOWN);
        for (double v : new double[] {r.acceptsPerSecond(), r.requestsPerSecond(), r.bytesInPerSecond(),
                r.bytesOutPerSecond(), r.gcPerSecond(), r.cpuPercent()}) {
            assertThat(v == -1 || (Double.isFinite(v) && v >= 0)).as("rate %s", v).isTrue();
        }
    }

    @Provide
    Arbitrary<WorkerStats> heartbeats() {
        Arbitrary<Long> any = Arbitraries.oneOf(Arbitraries.longs(),
                Arbitraries.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L));
        return Combinators.combine(java.util.List.of(any, any, any, any, any, any, any, any, any))
                .as(v -> new WorkerStats(42, 0, 1, v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), v.get(5),
                        v.get(6), 0, new WorkerStats.Jvm(v.get(7), v.get(7), v.get(8), v.get(8), v.get(7))));
    }
}
