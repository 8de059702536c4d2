package dev.forkline.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResponsesTest {

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void everyResponseEndsInCrLf() {
        assertThat(text(Responses.PONG)).isEqualTo("PONG\r\n");
        assertThat(text(Responses.BYE)).isEqualTo("BYE\r\n");
        assertThat(text(Responses.BUSY)).isEqualTo("ERR busy\r\n");
        assertThat(text(Responses.pid(4242))).isEqualTo("4242\r\n");
    }

    @Test
    void lineTooLongNamesTheLimit() {
        assertThat(text(Responses.lineTooLong(8192))).isEqualTo("ERR line too long (max 8192 bytes)\r\n");
    }
}
