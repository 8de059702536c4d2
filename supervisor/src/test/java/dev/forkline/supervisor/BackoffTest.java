package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void startsAtOneHundredMillisDoublesAndStopsAtTenSeconds() {
        assertThat(RespawnPolicy.backoff(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(RespawnPolicy.backoff(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(RespawnPolicy.backoff(7)).isEqualTo(Duration.ofMillis(6400));
        assertThat(RespawnPolicy.backoff(8)).isEqualTo(Duration.ofSeconds(10));
        assertThat(RespawnPolicy.backoff(1000)).isEqualTo(Duration.ofSeconds(10));
    }
}
