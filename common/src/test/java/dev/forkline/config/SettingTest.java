package dev.forkline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SettingTest {

    /** The workers' settings; the supervisor's own are covered by SupervisorConfigTest, which reads them all. */
    @Test
    void everyWorkerDefaultIsValid() {
        WorkerConfig c = WorkerConfig.from(Map.of());
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(3000);
        assertThat(c.maxLine()).isEqualTo(8192);
        assertThat(c.idleTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(c.maxConnections()).isEqualTo(10_000);
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void theDefaultShutdownTimeoutLeavesTheWorkersTheirWholeDrainTimeout() {
        // Issue 10, defect 5: both were 10 s, so at the defaults a drain and the SIGKILL raced.
        Map<String, String> defaults = Map.of();
        Duration drain = Setting.DRAIN_TIMEOUT.duration(defaults, Duration.ZERO, Duration.ofHours(1));
        Duration shutdown = Setting.SHUTDOWN_TIMEOUT.duration(defaults, Duration.ZERO, Duration.ofHours(1));
        assertThat(shutdown).isGreaterThanOrEqualTo(drain.plusSeconds(2));
    }

    @ParameterizedTest(name = "{0} = {1} ms")
    @CsvSource({"30, 30000", "0.5, 500", "500ms, 500", "2s, 2000", "5m, 300000", "1h, 3600000", " 7 , 7000", "1.25s, 1250"})
    void readsDurationsInSecondsOrWithAUnit(String raw, long millis) {
        Duration d = Setting.DRAIN_TIMEOUT.duration(Map.of("FORKLINE_DRAIN_TIMEOUT", raw), Duration.ZERO, Duration.ofDays(1));
        assertThat(d).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "soon", "-1", "1d", "1.2345", "5 s", "1e3", "99999999999"})
    void refusesDurationsItCannotRead(String raw) {
        assertThatThrownBy(() -> Setting.DRAIN_TIMEOUT.duration(Map.of("FORKLINE_DRAIN_TIMEOUT", raw),
                Duration.ZERO, Duration.ofDays(1)))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("FORKLINE_DRAIN_TIMEOUT=" + raw.strip() + " is invalid: expected a duration");
    }

    @Test
    void refusesDurationsOutOfRange() {
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("FORKLINE_HEARTBEAT_INTERVAL", "10ms")))
                .hasMessage("FORKLINE_HEARTBEAT_INTERVAL=10ms is invalid: expected a duration from 50ms to 1m"
                        + " (seconds, or with a unit: 500ms, 30s, 5m, 1h)");
    }

    @Test
    void formatsDurationsAsAnOperatorWouldWriteThem() {
        assertThat(Setting.format(Duration.ofMillis(250))).isEqualTo("250ms");
        assertThat(Setting.format(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(Setting.format(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(Setting.format(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(Setting.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    }

    @Test
    void workerSettingsSurviveTheTripThroughTheEnvironment() {
        WorkerConfig c = WorkerConfig.from(Map.of("FORKLINE_PORT", "4000", "FORKLINE_IDLE_TIMEOUT", "0.75",
                "FORKLINE_HOST", "127.0.0.1", "FORKLINE_MAX_CONNECTIONS", "12"));
        assertThat(WorkerConfig.from(c.toEnvironment())).isEqualTo(c);
    }

    @Test
    void refusesHostsWithBlanksOrControlCharacters() {
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("FORKLINE_HOST", "local host")))
                .hasMessage("FORKLINE_HOST=local host is invalid: expected an IP address or a host name");
    }

    @Test
    void knowsItsOwnNamesAndNotOthers() {
        assertThat(Setting.isKnown("FORKLINE_PORT")).isTrue();
        assertThat(Setting.isKnown("FORKLINE_SLOT")).isTrue();
        assertThat(Setting.isKnown("FORKLINE_PROT")).isFalse();
    }
}
