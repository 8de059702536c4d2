package dev.forkline.logging;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A java.util.logging logger that writes events: a stable name ({@code worker_exited}), typed fields
 * ({@code slot}, {@code pid}, ...) and the sentence an operator reads. The text format prints the
 * sentence; the JSON format ({@code FORKLINE_LOG_FORMAT=json}) prints all of it, so log shippers and
 * tests match on the event and its fields instead of on the wording.
 *
 * <pre>{@code
 * LOG.warn("worker_exited").with("slot", 2).with("pid", 4242).log("worker 2 pid 4242 exited with code 1");
 * }</pre>
 */
public final class Log {
    private final Logger logger;

    private Log(Logger logger) {
        this.logger = logger;
    }

    public static Log get(Class<?> type) {
        return new Log(Logger.getLogger(type.getName()));
    }

    public Entry debug(String event) {
        return new Entry(Level.FINE, event);
    }

    public Entry info(String event) {
        return new Entry(Level.INFO, event);
    }

    public Entry warn(String event) {
        return new Entry(Level.WARNING, event);
    }

    public Entry error(String event) {
        return new Entry(Level.SEVERE, event);
    }

    /** One event being written: add fields, then {@link #log} it with its sentence. */
    public final class Entry {
        private final Level level;
        private final String event;
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Entry(Level level, String event) {
            this.level = level;
            this.event = event;
        }

        /** A field: a string, a number, a boolean, null, or a list or map of those. */
        public Entry with(String name, Object value) {
            fields.put(name, value);
            return this;
        }

        public void log(String message) {
            if (logger.isLoggable(level)) {
                EventRecord r = new EventRecord(level, message, event, fields);
                r.setLoggerName(logger.getName());
                logger.log(r);
            }
        }
    }

    /**
     * A log record that carries an event name and fields. Records of other loggers (Vert.x, Netty)
     * are plain {@link LogRecord}s: the JSON format names their event {@code log}.
     */
    public static final class EventRecord extends LogRecord {
        private static final long serialVersionUID = 1L;
        private final String event;
        private final transient Map<String, Object> fields;

        EventRecord(Level level, String message, String event, Map<String, Object> fields) {
            super(level, message);
            this.event = event;
            this.fields = Collections.unmodifiableMap(fields);
        }

        public String event() {
            return event;
        }

        public Map<String, Object> fields() {
            return fields;
        }
    }
}
