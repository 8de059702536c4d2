package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.ForklineProcess;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The seed's point: the kernel, not the supervisor, spreads connections over the worker processes. */
class KernelLoadBalancingIT {

    @Test
    void spreadsFreshConnectionsAcrossFourWorkerProcesses() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "4"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            assertThat(ready).hasSize(4);

            Map<Long, Integer> perPid = new HashMap<>();
            int connections = 400;
            for (int i = 0; i < connections; i++) {
                try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
                    perPid.merge(c.serverPid(), 1, Integer::sum);
                }
            }
            System.out.println("connections per worker PID: " + perPid);
            assertThat(perPid.keySet()).containsExactlyInAnyOrderElementsOf(ready.values());
            int fair = connections / 4;
            assertThat(perPid.values()).allSatisfy(n -> assertThat(n).isBetween(fair / 2, fair * 3 / 2));
        }
    }

    @Test
    void eachWorkerHoldsItsOwnListeningSocketAndTheSupervisorNone() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "4"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            Set<Long> candidates = new HashSet<>(forkline.workerPids());
            candidates.add(forkline.pid());

            Map<Long, Integer> listeners = ForklineProcess.listenersOn(forkline.port, candidates);

            assertThat(listeners.keySet()).containsExactlyInAnyOrderElementsOf(ready.values());
            assertThat(listeners.values()).as("one listening socket per worker").containsOnly(1);
            assertThat(listeners).doesNotContainKey(forkline.pid());
        }
    }
}
