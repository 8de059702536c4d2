package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void startsAtOneHundredMillisDoublesAndStopsAtTenSeconds() {
        assertThat(Supervisor.backoff(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(Supervisor.backoff(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(Supervisor.backoff(7)).isEqualTo(Duration.ofMillis(6400));
        assertThat(Supervisor.backoff(8)).isEqualTo(Duration.ofSeconds(10));
        assertThat(Supervisor.backoff(1000)).isEqualTo(Duration.ofSeconds(10));
    }
}
