package dev.forkline.testkit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One line of Forkline's JSON log (FORKLINE_LOG_FORMAT=json): {@code {"time":...,"level":...,
 * "source":{"process":"worker","pid":4242,"slot":0},"event":"worker_ready","fields":{...},
 * "message":...}}. Tests match these with {@link LogEventMatcher} instead of matching prose.
 */
public record LogEvent(String time, String level, String process, long pid, Integer slot, String event,
                       JsonObject fields, String message) {

    /** The event on a log line, or empty for a line that is not one (HotSpot writes some of its own). */
    public static Optional<LogEvent> parse(String line) {
        if (!line.startsWith("{")) {
            return Optional.empty();
        }
        try {
            JsonObject o = new JsonObject(line);
            JsonObject source = o.getJsonObject("source", new JsonObject());
            return Optional.of(new LogEvent(o.getString("time"), o.getString("level"), source.getString("process"),
                    source.getLong("pid", -1L), source.getInteger("slot"), o.getString("event"),
                    o.getJsonObject("fields", new JsonObject()), o.getString("message", "")));
        } catch (DecodeException | ClassCastException e) {
            return Optional.empty();
        }
    }

    /** Every event in a log (a container's output, say). */
    public static List<LogEvent> parseAll(String log) {
        List<LogEvent> events = new ArrayList<>();
        for (String line : log.split("\\R")) {
            parse(line).ifPresent(events::add);
        }
        return events;
    }

    public boolean fromSupervisor() {
        return "supervisor".equals(process);
    }

    public long number(String field) {
        Long n = fields.getLong(field);
        if (n == null) {
            throw new AssertionError("event " + event + " has no number " + field + ": " + fields);
        }
        return n;
    }

    public String string(String field) {
        return fields.getString(field);
    }
}
