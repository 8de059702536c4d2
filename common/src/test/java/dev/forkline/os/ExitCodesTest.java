package dev.forkline.os;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExitCodesTest {

    @Test
    void describesSignalDeathsTheWayTheJdkReportsThem() {
        assertThat(ExitCodes.describe(137)).isEqualTo("signal KILL (9)");
        assertThat(ExitCodes.describe(143)).isEqualTo("signal TERM (15)");
        assertThat(ExitCodes.describe(4)).isEqualTo("code 4");
        assertThat(ExitCodes.bySignal(137)).isTrue();
        assertThat(ExitCodes.bySignal(1)).isFalse();
    }
}
