package dev.forkline.protocol;

/**
 * The request commands of the Forkline line protocol (see {@code docs/PROTOCOL.md}).
 *
 * <p>Every named command is exactly four ASCII letters, so a request can be classified from its
 * length and its first four bytes without allocating: the worker does this once per request on the
 * event loop. Anything that is not a named command, including an empty line, is {@link #PID}.
 */
public enum Command {
    /** Liveness probe: answered with {@code PONG}. */
    PING,
    /** One line of JSON describing the serving process. */
    INFO,
    /** Answered with {@code BYE}; then the server closes the connection. */
    QUIT,
    /** The seed's response: the PID of the serving process. Also the answer to every unknown line. */
    PID;

    private static final int LOWER = 0x20202020;
    private static final int PING_WORD = word("ping");
    private static final int INFO_WORD = word("info");
    private static final int QUIT_WORD = word("quit");

    /**
     * Classifies a request.
     *
     * @param length the line length in bytes, without the LF and without a trailing CR
     * @param firstFour the first four bytes of the line, big-endian (ignored unless {@code length == 4})
     */
    public static Command of(int length, int firstFour) {
        if (length != 4) {
            return PID;
        }
        // OR-ing 0x20 folds an ASCII upper-case letter onto its lower-case form and leaves the
        // lower-case one alone; no other byte folds onto a lower-case letter of these words.
        int w = firstFour | LOWER;
        if (w == PING_WORD) {
            return PING;
        }
        if (w == INFO_WORD) {
            return INFO;
        }
        if (w == QUIT_WORD) {
            return QUIT;
        }
        return PID;
    }

    /** Classifies a request given as text (the line without its CR LF). */
    public static Command of(CharSequence line) {
        if (line.length() != 4) {
            return PID;
        }
        int w = 0;
        for (int i = 0; i < 4; i++) {
            char c = line.charAt(i);
            if (c > 0x7f) {
                return PID;
            }
            w = (w << 8) | c;
        }
        return of(4, w);
    }

    private static int word(String s) {
        return (s.charAt(0) << 24) | (s.charAt(1) << 16) | (s.charAt(2) << 8) | s.charAt(3);
    }
}
