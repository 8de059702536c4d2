package dev.forkline.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The one place where control messages and {@link WorkerStats} become JSON lines and back.
 *
 * <p>Format: one JSON object per line with a {@code "type"} field, e.g.
 * {@code {"type":"ready","pid":4242,"slot":0,"generation":1,"port":3000,"listening":"0.0.0.0:3000 0.0.0.0:8080"}}. Unknown fields are ignored
 * so that a newer worker can talk to an older supervisor during a rolling upgrade.
 */
public final class ControlCodec {
    /** Control lines are small; anything longer is not ours. */
    public static final int MAX_LINE = 16 * 1024;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(4)
                    .maxStringLength(MAX_LINE)
                    .maxNumberLength(20)
                    .build())
            .build();

    /** A line that is not a valid control message. */
    public static final class MalformedMessageException extends IllegalArgumentException {
        public MalformedMessageException(String message) {
            super(message);
        }

        public MalformedMessageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private ControlCodec() {
    }

    /** Encodes a message as one line of JSON, without the line terminator. */
    public static String encode(ControlMessage message) {
        StringWriter w = new StringWriter(160);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            if (message instanceof ControlMessage.Ready r) {
                g.writeStringField("type", "ready");
                g.writeNumberField("pid", r.pid());
                g.writeNumberField("slot", r.slot());
                g.writeNumberField("generation", r.generation());
                // "port" (the first address's) for a supervisor from before "listening" (0.1.0).
                g.writeNumberField("port", port(r.listening()));
                g.writeStringField("listening", String.join(" ", r.listening()));
            } else if (message instanceof ControlMessage.Booted b) {
                g.writeStringField("type", "booted");
                g.writeNumberField("pid", b.pid());
                g.writeNumberField("generation", b.generation());
                g.writeStringField("held", String.join(" ", b.held()));
            } else if (message instanceof ControlMessage.Promote p) {
                g.writeStringField("type", "promote");
                g.writeNumberField("slot", p.slot());
            } else if (message instanceof ControlMessage.Heartbeat h) {
                g.writeStringField("type", "heartbeat");
                writeStatsFields(g, h.stats());
                if (h.sentNanos() != ControlMessage.Heartbeat.UNSTAMPED) {
                    g.writeNumberField("sent_ns", h.sentNanos());
                }
            } else if (message instanceof ControlMessage.Fatal f) {
                g.writeStringField("type", "fatal");
                g.writeNumberField("exit_code", f.exitCode());
                g.writeStringField("reason", f.reason());
            } else if (message instanceof ControlMessage.Drain) {
                g.writeStringField("type", "drain");
            } else if (message instanceof ControlMessage.Stop) {
                g.writeStringField("type", "stop");
            } else {
                throw new IllegalArgumentException("unknown message " + message);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Encodes worker stats as the one-line JSON body of the {@code INFO} response. */
    public static String encodeInfo(WorkerStats stats) {
        StringWriter w = new StringWriter(200);
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            writeStatsFields(g, stats);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Decodes the body of an {@code INFO} response. */
    public static WorkerStats decodeInfo(String line) {
        return stats(fields(line));
    }

    /**
     * Decodes one control line.
     *
     * @throws MalformedMessageException if the line is not a JSON object with a known {@code type}
     *     and the fields that type needs
     */
    public static ControlMessage decode(String line) {
        Map<String, Object> f = fields(line);
        Object type = f.get("type");
        if (!(type instanceof String t)) {
            throw new MalformedMessageException("control message without a string \"type\"");
        }
        return switch (t) {
            case "ready" -> new ControlMessage.Ready(longField(f, "pid"), intField(f, "slot"),
                    intField(f, "generation"), f.get("listening") instanceof String listening ? words(listening)
                            : java.util.List.of("*:" + intField(f, "port"))); // a worker from before "listening"
            case "booted" -> new ControlMessage.Booted(longField(f, "pid"), intField(f, "generation"),
                    words(stringField(f, "held")));
            case "promote" -> new ControlMessage.Promote(slot(f));
            case "heartbeat" -> new ControlMessage.Heartbeat(stats(f),
                    f.containsKey("sent_ns") ? longField(f, "sent_ns") : ControlMessage.Heartbeat.UNSTAMPED);
            case "fatal" -> new ControlMessage.Fatal(intField(f, "exit_code"), stringField(f, "reason"));
            case "drain" -> new ControlMessage.Drain();
            case "stop" -> new ControlMessage.Stop();
            default -> throw new MalformedMessageException("unknown control message type \"" + t + "\"");
        };
    }

    private static void writeStatsFields(JsonGenerator g, WorkerStats s) throws IOException {
        g.writeNumberField("pid", s.pid());
        g.writeNumberField("slot", s.slot());
        g.writeNumberField("generation", s.generation());
        g.writeNumberField("uptime_ms", s.uptimeMillis());
        g.writeNumberField("connections", s.connections());
        g.writeNumberField("accepted", s.accepted());
        g.writeNumberField("requests", s.requests());
        g.writeNumberField("bytes_in", s.bytesIn());
        g.writeNumberField("bytes_out", s.bytesOut());
        g.writeNumberField("http_requests", s.httpRequests());
        g.writeNumberField("resets", s.resets());
        // The JVM's figures only once known: a worker reads its MX beans after it is ready.
        writeFigure(g, "heap_used", s.jvm().heapUsed());
        writeFigure(g, "heap_committed", s.jvm().heapCommitted());
        writeFigure(g, "gc_count", s.jvm().gcCount());
        writeFigure(g, "gc_time_ms", s.jvm().gcMillis());
        writeFigure(g, "cpu_time_ms", s.jvm().cpuMillis());
    }

    private static void writeFigure(JsonGenerator g, String name, long value) throws IOException {
        if (value >= 0) {
            g.writeNumberField(name, value);
        }
    }

    private static WorkerStats stats(Map<String, Object> f) {
        return new WorkerStats(
                longField(f, "pid"), intField(f, "slot"), intField(f, "generation"),
                longField(f, "uptime_ms"), longField(f, "connections"), longField(f, "accepted"),
                longField(f, "requests"), longField(f, "bytes_in"), longField(f, "bytes_out"),
                optionalLong(f, "http_requests"), optionalLong(f, "resets"),
                new WorkerStats.Jvm(figure(f, "heap_used"), figure(f, "heap_committed"), figure(f, "gc_count"),
                        figure(f, "gc_time_ms"), figure(f, "cpu_time_ms")));
    }

    /** Reads a flat JSON object of strings and integers; nested values are skipped. */
    private static Map<String, Object> fields(String line) {
        if (line == null || line.length() > MAX_LINE) {
            throw new MalformedMessageException("control line missing or longer than " + MAX_LINE + " chars");
        }
        Map<String, Object> fields = new HashMap<>();
        try (JsonParser p = JSON.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedMessageException("control message is not a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                switch (v) {
                    case VALUE_STRING -> fields.put(name, p.getText());
                    case VALUE_NUMBER_INT -> fields.put(name, p.getNumberValue());
                    case START_OBJECT, START_ARRAY -> p.skipChildren();
                    default -> {
                        // booleans, floats and nulls are not part of any message: ignore, as unknown fields
                    }
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new MalformedMessageException("control message is not a flat JSON object");
            }
            if (p.nextToken() != null) {
                throw new MalformedMessageException("trailing data after the control message");
            }
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new MalformedMessageException("control message is not valid JSON: " + why, e);
        }
        return fields;
    }

    private static long longField(Map<String, Object> f, String name) {
        Object v = f.get(name);
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new MalformedMessageException("field \"" + name + "\" missing or not an integer");
    }

    /** A field added after 0.1: absent in messages of older workers. */
    private static long optionalLong(Map<String, Object> f, String name) {
        return f.containsKey(name) ? longField(f, name) : 0;
    }

    /**
     * One of the JVM's figures: -1 (unknown) when absent, negative or not an integer. Lenient on
     * purpose: these figures are for people to look at, and one odd value must not cost the whole
     * heartbeat, which is also what tells the supervisor the worker is alive.
     */
    private static long figure(Map<String, Object> f, String name) {
        Object v = f.get(name);
        return v instanceof Integer || v instanceof Long ? Math.max(-1, ((Number) v).longValue()) : -1;
    }

    private static int intField(Map<String, Object> f, String name) {
        long v = longField(f, name);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new MalformedMessageException("field \"" + name + "\" out of range");
        }
        return (int) v;
    }

    /** A slot to promote into: a real one, never negative. */
    private static int slot(Map<String, Object> f) {
        int slot = intField(f, "slot");
        if (slot < 0) {
            throw new MalformedMessageException("field \"slot\" must not be negative");
        }
        return slot;
    }

    private static int port(java.util.List<String> addresses) {
        if (addresses.isEmpty()) {
            return 0;
        }
        String first = addresses.get(0);
        try {
            return Integer.parseInt(first.substring(first.lastIndexOf(':') + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A space-separated list (the flat format has no arrays). */
    private static java.util.List<String> words(String s) {
        return s.isBlank() ? java.util.List.of() : java.util.List.of(s.strip().split(" +"));
    }

    private static String stringField(Map<String, Object> f, String name) {
        Object v = f.get(name);
        if (v instanceof String s) {
            return s;
        }
        throw new MalformedMessageException("field \"" + name + "\" missing or not a string");
    }
}
