package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import dev.forkline.logging.Logs;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SupervisorConfigTest {

    @Test
    void everyDefaultIsValid() {
        // Everything the supervisor reads, the workers' settings included: nothing set at all.
        SupervisorConfig c = SupervisorConfig.from(Map.of());
        assertThat(c.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.standby()).isZero();
        assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofSeconds(15));
        // A worker's longest stop at the defaults: its drain, then its application's stop (at least
        // 1 s), then closing Vert.x (up to 1 s). The default stop must never SIGKILL it.
        assertThat(c.shutdownTimeout()).isGreaterThan(c.worker().drainTimeout().plusSeconds(2));
        assertThat(c.workerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.bootTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.minUptime()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.workerJvmOptions()).isEmpty();
        assertThat(c.logLevel()).isEqualTo(Logs.LogLevel.INFO);
        assertThat(c.logFormat()).isEqualTo(Logs.LogFormat.TEXT);
        assertThat(c.admin()).isEqualTo(new AdminConfig("127.0.0.1", 9090, ""));
        assertThat(c.worker().port()).isEqualTo(3000);
        assertThat(c.worker().heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
    }

    /** Every setting is read and checked: a value no setting accepts is refused, naming the variable. */
    @ParameterizedTest
    @EnumSource(Setting.class)
    void everySettingIsReadAndChecked(Setting setting) {
        assertThatThrownBy(() -> SupervisorConfig.from(Map.of(setting.variable(), "not valid")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(setting == Setting.ADMIN_TOKEN ? "FORKLINE_ADMIN_TOKEN=(hidden) is invalid"
                        : setting.variable() + "=not valid is invalid");
    }

    @Test
    void standbyIsACountFromZeroToItsCapInOneLine() {
        assertThat(SupervisorConfig.from(Map.of("FORKLINE_STANDBY", "2")).standby()).isEqualTo(2);
        assertThatThrownBy(() -> SupervisorConfig.from(Map.of("FORKLINE_STANDBY", "-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("FORKLINE_STANDBY=-1 is invalid: expected an integer from 0 to " + SupervisorConfig.MAX_STANDBY);
        assertThatThrownBy(() -> SupervisorConfig.from(Map.of("FORKLINE_STANDBY", "65")))
                .hasMessage("FORKLINE_STANDBY=65 is invalid: expected an integer from 0 to 64");
    }

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
