package dev.forkline.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What a test expects of a log event: its name, its fields, who logged it. Reads like the
 * expectation it is in a failure message:
 *
 * <pre>{@code
 * forkline.await(event("worker_exited").with("slot", 2).with("exit", "signal KILL (9)"));
 * }</pre>
 */
public final class LogEventMatcher implements Predicate<LogEvent> {
    private final List<Predicate<LogEvent>> checks = new ArrayList<>();
    private final List<String> description = new ArrayList<>();

    private LogEventMatcher() {
    }

    /** An event of the supervisor's or a worker's with this name ({@code log} for other loggers' records). */
    public static LogEventMatcher event(String name) {
        return new LogEventMatcher().and("event " + name, e -> name.equals(e.event()));
    }

    /** A worker's log record whose message contains {@code text} (workers log few named events). */
    public static LogEventMatcher workerSays(String text) {
        return new LogEventMatcher().and("a worker's line containing \"" + text + "\"",
                e -> "worker".equals(e.process()) && e.message().contains(text));
    }

    /** A field equal to {@code value}; numbers compare by value, whatever their Java type. */
    public LogEventMatcher with(String field, Object value) {
        return and(field + "=" + value, e -> {
            Object actual = e.fields().getValue(field);
            if (value instanceof Number n && actual instanceof Number a) {
                return n.longValue() == a.longValue();
            }
            if (value instanceof List<?> l && actual instanceof io.vertx.core.json.JsonArray a) {
                return a.getList().equals(l);
            }
            return Objects.equals(value, actual);
        });
    }

    /** A string field containing {@code text}. */
    public LogEventMatcher withContaining(String field, String text) {
        return and(field + " containing \"" + text + "\"", e -> {
            String actual = e.fields().getString(field);
            return actual != null && actual.contains(text);
        });
    }

    public LogEventMatcher fromSupervisor() {
        return and("from the supervisor", LogEvent::fromSupervisor);
    }

    public LogEventMatcher level(String level) {
        return and("at level " + level, e -> level.equals(e.level()));
    }

    private LogEventMatcher and(String what, Predicate<LogEvent> check) {
        checks.add(check);
        description.add(what);
        return this;
    }

    @Override
    public boolean test(LogEvent e) {
        return checks.stream().allMatch(c -> c.test(e));
    }

    @Override
    public String toString() {
        return String.join(", ", description);
    }
}
