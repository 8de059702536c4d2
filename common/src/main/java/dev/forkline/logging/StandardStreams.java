package dev.forkline.logging;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns what a process prints on {@code System.out} and {@code System.err} — an application's
 * {@code println}, a library's {@code printStackTrace()} — into log records, one per line, so that they
 * carry the time, the level and the process's tag like every other line of the log (and are JSON when
 * the log is). Call after {@link Logs#init}: its handler keeps the real stderr.
 *
 * <p>In a worker, stdout is the control channel: nothing printed may reach it, and nothing does.
 */
public final class StandardStreams {
    private static final Logger OUT = Logger.getLogger("stdout");
    private static final Logger ERR = Logger.getLogger("stderr");
    /** A record being written that prints (a handler's own error report): to the real stderr, not back into the log. */
    private static final ThreadLocal<Boolean> WRITING = ThreadLocal.withInitial(() -> false);

    private StandardStreams() {
    }

    public static void capture() {
        PrintStream realErr = System.err;
        System.setOut(new PrintStream(new Lines(OUT, Level.INFO, realErr), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Lines(ERR, Level.WARNING, realErr), true, StandardCharsets.UTF_8));
    }

    /** Collects bytes up to each line end, then logs the line. */
    private static final class Lines extends OutputStream {
        private static final int MAX_LINE = 16 * 1024;
        private final Logger logger;
        private final Level level;
        private final PrintStream fallback;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

        Lines(Logger logger, Level level, PrintStream fallback) {
            this.logger = logger;
            this.level = level;
            this.fallback = fallback;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                emit();
            } else {
                line.write(b);
                if (line.size() >= MAX_LINE) {
                    emit();
                }
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                write(b[i]);
            }
        }

        private void emit() {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
            if (WRITING.get()) {
                fallback.println(text);
                return;
            }
            WRITING.set(true);
            try {
                logger.log(level, text);
            } finally {
                WRITING.set(false);
            }
        }
    }
}
