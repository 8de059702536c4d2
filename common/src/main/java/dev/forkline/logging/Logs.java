package dev.forkline.logging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
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
 * <p>Two formats (FORKLINE_LOG_FORMAT):
 * <ul>
 *   <li>{@code text}: {@code 2026-11-27T05:40:00.123Z INFO  [worker 0 pid 4242] message};</li>
 *   <li>{@code json}, one object per line for log shippers: {@code {"time":"2026-11-27T05:40:00.123Z",
 *       "level":"INFO","source":{"process":"worker","pid":4242,"slot":0},"event":"worker_ready",
 *       "fields":{...},"message":"..."}}. The event and its fields are those of {@link Log}; records
 *       of other loggers (Vert.x, Netty) are the event {@code log} with their logger's name.</li>
 * </ul>
 * HotSpot writes some lines of its own to stderr (an OutOfMemoryError, a crash): those stay text.
 */
public final class Logs {
    private static final DateTimeFormatter TIME = DateTimeFormatter
            .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonFactory JSON = new JsonFactory();
    private static final String FORMAT_VARIABLE = "FORKLINE_LOG_FORMAT";

    private static Handler handler;
    private static String tag = "";
    private static LogFormat format = LogFormat.TEXT;

    private Logs() {
    }

    /**
     * Sends every log record to stderr with {@code tag} (e.g. "supervisor", "worker 0 pid 4242"), in
     * the format FORKLINE_LOG_FORMAT names in the environment or the system properties, so that the
     * first lines, before the configuration is read, already have it ({@link #setFormat} later).
     */
    public static void init(String tag) {
        Logs.tag = tag;
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        handler = new ConsoleHandler(); // writes to System.err, flushes each record
        handler.setLevel(Level.ALL);
        String format = System.getProperty(FORMAT_VARIABLE, System.getenv(FORMAT_VARIABLE));
        setFormat("json".equalsIgnoreCase(format == null ? "" : format.strip()) ? LogFormat.JSON : LogFormat.TEXT);
        root.addHandler(handler);
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

    /** Applies FORKLINE_LOG_FORMAT. */
    public static void setFormat(LogFormat format) {
        Logs.format = format;
        if (handler != null) {
            handler.setFormatter(formatter(format, tag));
        }
    }

    /** The process's tag changed: a standby promoted into a slot ("standby pid 4242" → "worker 2 pid 4242"). */
    public static void setTag(String tag) {
        Logs.tag = tag;
        setFormat(format);
    }

    /** The formatter of a format, for a process tagged {@code tag}. */
    public static Formatter formatter(LogFormat format, String tag) {
        return format == LogFormat.JSON ? new JsonLine(tag) : new OneLine(tag);
    }

    /** The levels FORKLINE_LOG_LEVEL accepts. */
    public enum LogLevel {
        DEBUG(Level.FINE), INFO(Level.INFO), WARN(Level.WARNING), ERROR(Level.SEVERE);

        final Level jul;

        LogLevel(Level jul) {
            this.jul = jul;
        }
    }

    /** The formats FORKLINE_LOG_FORMAT accepts. */
    public enum LogFormat { TEXT, JSON }

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

    private static String stackTrace(Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return sw.toString().stripTrailing();
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
                sb.append(System.lineSeparator()).append(stackTrace(r.getThrown()));
            }
            return sb.append(System.lineSeparator()).toString();
        }
    }

    /** One JSON object per record, on one line (a stack trace is a field, its newlines escaped). */
    private static final class JsonLine extends Formatter {
        private final String process;
        private final long pid = ProcessHandle.current().pid();
        private final Integer slot;

        JsonLine(String tag) {
            String[] words = tag.split(" ");
            this.process = words[0];
            // A worker's slot is in its tag ("worker 2 pid 4242"); a standby has none until promoted.
            Integer s = null;
            if (process.equals("worker") && words.length > 1) {
                try {
                    s = Integer.valueOf(words[1]);
                } catch (NumberFormatException e) {
                    s = null;
                }
            }
            this.slot = s;
        }

        @Override
        public String format(LogRecord r) {
            StringWriter w = new StringWriter(256);
            try (JsonGenerator g = JSON.createGenerator(w)) {
                g.writeStartObject();
                g.writeStringField("time", TIME.format(Instant.ofEpochMilli(r.getMillis())));
                g.writeStringField("level", levelName(r.getLevel()));
                g.writeObjectFieldStart("source");
                g.writeStringField("process", process);
                g.writeNumberField("pid", pid);
                if (slot != null) {
                    g.writeNumberField("slot", slot);
                }
                g.writeEndObject();
                if (r instanceof Log.EventRecord e) {
                    g.writeStringField("event", e.event());
                    g.writeFieldName("fields");
                    writeValue(g, e.fields());
                } else {
                    g.writeStringField("event", "log");
                    g.writeObjectFieldStart("fields");
                    g.writeStringField("logger", r.getLoggerName());
                    g.writeEndObject();
                }
                g.writeStringField("message", formatMessage(r));
                if (r.getThrown() != null) {
                    g.writeStringField("stack", stackTrace(r.getThrown()));
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return w.append(System.lineSeparator()).toString();
        }

        private static void writeValue(JsonGenerator g, Object v) throws IOException {
            if (v == null) {
                g.writeNull();
            } else if (v instanceof Boolean b) {
                g.writeBoolean(b);
            } else if (v instanceof Integer || v instanceof Long || v instanceof Short) {
                g.writeNumber(((Number) v).longValue());
            } else if (v instanceof Number n) {
                g.writeNumber(n.doubleValue());
            } else if (v instanceof Map<?, ?> m) {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    writeValue(g, e.getValue());
                }
                g.writeEndObject();
            } else if (v instanceof Collection<?> c) {
                g.writeStartArray();
                for (Object o : c) {
                    writeValue(g, o);
                }
                g.writeEndArray();
            } else {
                g.writeString(String.valueOf(v));
            }
        }
    }
}
