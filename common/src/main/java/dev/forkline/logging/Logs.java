package dev.forkline.logging;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One-line logs on stderr, through java.util.logging (which Vert.x and Netty also use when nothing
 * else is on the class path). stdout is kept for the control channel in workers, so no log may go
 * there.
 *
 * <p>Format: {@code 2026-11-27T05:40:00.123Z INFO  [worker 0 pid 4242] message}.
 */
public final class Logs {
    private static final DateTimeFormatter TIME = DateTimeFormatter
            .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Logs() {
    }

    /** Sends every log record to stderr with {@code tag} (e.g. "supervisor", "worker 0 pid 4242"). */
    public static void init(String tag) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Handler h = new ConsoleHandler(); // writes to System.err, flushes each record
        h.setLevel(Level.ALL);
        h.setFormatter(new OneLine(tag));
        root.addHandler(h);
        root.setLevel(Level.INFO);
        // Netty and Vert.x are chatty at FINE; their warnings still come through.
        Logger.getLogger("io.netty").setLevel(Level.INFO);
        Logger.getLogger("io.vertx").setLevel(Level.INFO);
    }

    /** Applies FORKLINE_LOG_LEVEL to our own loggers. */
    public static void setLevel(LogLevel level) {
        Logger.getLogger("").setLevel(level.jul);
        Logger.getLogger("dev.forkline").setLevel(level.jul);
    }

    /** The levels FORKLINE_LOG_LEVEL accepts. */
    public enum LogLevel {
        DEBUG(Level.FINE), INFO(Level.INFO), WARN(Level.WARNING), ERROR(Level.SEVERE);

        final Level jul;

        LogLevel(Level jul) {
            this.jul = jul;
        }
    }

    private static final class OneLine extends Formatter {
        private final String tag;

        OneLine(String tag) {
            this.tag = tag;
        }

        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(128);
            sb.append(TIME.format(Instant.ofEpochMilli(r.getMillis()))).append(' ');
            String level = levelName(r.getLevel());
            sb.append(level);
            sb.append(" ".repeat(Math.max(1, 6 - level.length())));
            sb.append('[').append(tag).append("] ");
            sb.append(formatMessage(r));
            if (r.getThrown() != null) {
                // Stack traces stay on stderr with the record they belong to.
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                sb.append(System.lineSeparator()).append(sw.toString().stripTrailing());
            }
            return sb.append(System.lineSeparator()).toString();
        }

        private static String levelName(Level l) {
            if (l.intValue() >= Level.SEVERE.intValue()) {
                return "ERROR";
            }
            if (l.intValue() >= Level.WARNING.intValue()) {
                return "WARN";
            }
            if (l.intValue() >= Level.INFO.intValue()) {
                return "INFO";
            }
            return l.getName().toUpperCase(Locale.ROOT).equals("FINE") ? "DEBUG" : "TRACE";
        }
    }
}
