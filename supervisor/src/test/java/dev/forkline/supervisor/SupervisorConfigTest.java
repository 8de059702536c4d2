package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.forkline.config.ConfigException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SupervisorConfigTest {

    @Test
    void refusesAHeartbeatIntervalAboveHalfTheWorkerTimeout() {
        // Issue 10, defect 2: a 1m interval with the 10s timeout killed every worker as hung.
        assertThatThrownBy(() -> SupervisorConfig.from(Map.of("FORKLINE_HEARTBEAT_INTERVAL", "1m")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("FORKLINE_HEARTBEAT_INTERVAL=1m is invalid: expected at most half of"
                        + " FORKLINE_WORKER_TIMEOUT (10s), so that one late heartbeat does not make a worker look hung");
        assertThat(SupervisorConfig.from(Map.of("FORKLINE_HEARTBEAT_INTERVAL", "5s")).workerTimeout())
                .isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void refusesAWorkerTimeoutTheLoopCannotTellFromItsOwnLatency() {
        assertThatThrownBy(() -> SupervisorConfig.from(Map.of("FORKLINE_WORKER_TIMEOUT", "500ms",
                "FORKLINE_HEARTBEAT_INTERVAL", "100ms")))
                .hasMessageStartingWith("FORKLINE_WORKER_TIMEOUT=500ms is invalid: expected a duration from 1s to 1h");
    }
}
