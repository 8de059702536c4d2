package dev.forkline.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandTest {

    @ParameterizedTest(name = "\"{0}\" is {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            PING   | PING
            ping   | PING
            PiNg   | PING
            INFO   | INFO
            info   | INFO
            QUIT   | QUIT
            Quit   | QUIT
            PID    | PID
            pid    | PID
            ""     | PID
            " PING"| PID
            "PING "| PID
            PINGS  | PID
            PIN    | PID
            hello  | PID
            P1NG   | PID
            "PI\u00d1G" | PID
            """)
    void classifiesRequestLinesCaseInsensitively(String line, Command expected) {
        assertThat(Command.of(line)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "bytes of \"{0}\" are {1}")
    @CsvSource(delimiter = '|', textBlock = """
            PING | PING
            pInG | PING
            iNFo | INFO
            QUIT | QUIT
            PONG | PID
            """)
    void classifiesFromTheFirstFourBytesWithoutAllocating(String line, Command expected) {
        int word = (line.charAt(0) << 24) | (line.charAt(1) << 16) | (line.charAt(2) << 8) | line.charAt(3);
        assertThat(Command.of(4, word)).isEqualTo(expected);
        assertThat(Command.of(5, word)).as("length decides first").isEqualTo(Command.PID);
    }

    @org.junit.jupiter.api.Test
    void noFourByteWordOtherThanTheCommandsFoldsOntoACommand() {
        // Exhaustive over the byte values that matter: each position tried with all 256 values
        // while the other three hold the command's letters.
        for (String cmd : new String[] {"PING", "INFO", "QUIT"}) {
            for (int pos = 0; pos < 4; pos++) {
                for (int b = 0; b < 256; b++) {
                    int word = 0;
                    for (int i = 0; i < 4; i++) {
                        int c = i == pos ? b : cmd.charAt(i);
                        word = (word << 8) | c;
                    }
                    boolean sameLetter = Character.toUpperCase((char) b) == cmd.charAt(pos) && b < 128;
                    Command expected = sameLetter ? Command.valueOf(cmd) : Command.PID;
                    assertThat(Command.of(4, word)).as("%s with byte %d at %d", cmd, b, pos).isEqualTo(expected);
                }
            }
        }
    }
}
