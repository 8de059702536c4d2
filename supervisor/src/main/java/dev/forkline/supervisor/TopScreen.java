package dev.forkline.supervisor;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;

/**
 * What {@code forkline top} shows, computed from what the admin API answered ({@code /status} and
 * {@code /events}): the supervisor's phase, one row per worker, totals, the recent events, the keys.
 * Pure (no terminal, no network), so it is tested on its own, odd input included.
 *
 * <p>Nothing here trusts the shape of the JSON: a field that is missing, null or of another type is
 * shown as "-", so a worker that sends odd figures, or a newer supervisor with fields renamed,
 * never breaks the view.
 */
final class TopScreen {
    /** Events of the last this many milliseconds mark their worker's row: a respawn shows as it happens. */
    static final long RECENT_MILLIS = 5_000;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT)
            .withZone(ZoneId.systemDefault());
    private static final AttributedStyle HEADER = AttributedStyle.DEFAULT.inverse();
    private static final AttributedStyle BOLD = AttributedStyle.BOLD;
    private static final AttributedStyle RED = AttributedStyle.DEFAULT.foreground(AttributedStyle.RED);
    private static final AttributedStyle GREEN = AttributedStyle.DEFAULT.foreground(AttributedStyle.GREEN);
    private static final AttributedStyle YELLOW = AttributedStyle.DEFAULT.foreground(AttributedStyle.YELLOW);
    private static final AttributedStyle DIM = AttributedStyle.DEFAULT.faint();

    /** One column of the worker table: its title, width, how to show a worker, how to sort by it. */
    record Column(String title, int width, boolean alignRight, Function<JsonObject, String> text,
                  Comparator<JsonObject> order) {
    }

    static final List<Column> COLUMNS = List.of(
            leftAligned(numeric("SLOT", 5, w -> whole(num(w, "slot")), w -> num(w, "slot"))),
            numeric("PID", 8, w -> whole(num(w, "pid")), w -> num(w, "pid")),
            numeric("GEN", 3, w -> whole(num(w, "generation")), w -> num(w, "generation")),
            new Column("ROLE/STATE", 17, false, TopScreen::roleState, Comparator.comparing(TopScreen::roleState)),
            numeric("UPTIME", 7, w -> duration(num(w, "uptime_ms")), w -> num(w, "uptime_ms")),
            numeric("CONNS", 6, w -> whole(num(w, "connections")), w -> num(w, "connections")),
            numeric("ACC/S", 6, w -> rate(rate(w, "accepts_per_s")), w -> rate(w, "accepts_per_s")),
            numeric("REQ/S", 7, w -> rate(rate(w, "requests_per_s")), w -> rate(w, "requests_per_s")),
            numeric("BYTES/S", 8, w -> bytes(bytesPerSecond(w)), TopScreen::bytesPerSecond),
            numeric("HEAP", 11, TopScreen::heap, w -> num(w, "heap_used")),
            numeric("GC/S", 5, w -> rate(rate(w, "gc_per_s")), w -> rate(w, "gc_per_s")),
            numeric("CPU%", 5, w -> percent(rate(w, "cpu_percent")), w -> rate(w, "cpu_percent")),
            numeric("HB", 5, w -> seconds(num(w, "heartbeat_age_ms")), w -> num(w, "heartbeat_age_ms")),
            numeric("RESTARTS", 8, w -> whole(num(w, "restarts")), w -> num(w, "restarts")),
            new Column("LAST EXIT", 0, false, w -> str(w, "last_exit"), Comparator.comparing(w -> str(w, "last_exit"))));

    /** Which column the rows are sorted by, and which way. */
    record Sort(int column, boolean descending) {
        static final Sort BY_SLOT = new Sort(0, false);

        Sort {
            column = Math.floorMod(column, COLUMNS.size());
        }

        Sort next(int step) {
            return new Sort(Math.floorMod(column + step, COLUMNS.size()), descending);
        }

        Sort reversed() {
            return new Sort(column, !descending);
        }
    }

    /** What one screen shows: the last answers, the events kept, the sort, a message, the size. */
    record Frame(JsonObject status, List<JsonObject> events, Sort sort, String message, long nowMillis,
                 int width, int height) {
    }

    private TopScreen() {
    }

    /** The full screen: exactly {@code frame.height()} lines, none wider than {@code frame.width()}. */
    static List<AttributedString> render(Frame f) {
        List<AttributedString> lines = new ArrayList<>();
        JsonObject s = f.status();
        lines.add(line(new AttributedStringBuilder().style(BOLD).append(summary(s)).style(AttributedStyle.DEFAULT)
                .append("   ").append(CLOCK.format(Instant.ofEpochMilli(f.nowMillis())))));
        lines.add(new AttributedString(totals(s)));
        lines.add(new AttributedString(""));
        List<AttributedString> table = table(s, f.events(), f.sort(), f.nowMillis(), true);
        List<AttributedString> events = events(f.events(), f.nowMillis());
        String keys = "q quit  r reload  +/- scale  </> sort column  s reverse   sorted by "
                + COLUMNS.get(f.sort().column()).title() + (f.sort().descending() ? " (descending)" : "");
        // Rows first; the events get what is left, newest last; the last line is the keys.
        int room = Math.max(0, f.height() - lines.size() - 1);
        lines.addAll(table.subList(0, Math.min(table.size(), room)));
        room = Math.max(0, f.height() - lines.size() - 1);
        if (room >= 3 && !events.isEmpty()) {
            lines.add(new AttributedString(""));
            lines.add(new AttributedStringBuilder().style(BOLD).append("recent events").toAttributedString());
            lines.addAll(events.subList(Math.max(0, events.size() - (room - 2)), events.size()));
        }
        while (lines.size() < f.height() - 1) {
            lines.add(new AttributedString(""));
        }
        if (lines.size() < f.height()) {
            lines.add(f.message() == null || f.message().isEmpty()
                    ? new AttributedStringBuilder().style(DIM).append(keys).toAttributedString()
                    : new AttributedStringBuilder().style(YELLOW).append(f.message()).toAttributedString());
        }
        List<AttributedString> fitted = new ArrayList<>(lines.size());
        for (AttributedString l : lines.subList(0, Math.min(lines.size(), f.height()))) {
            // One column short of the edge: a full last column makes some terminals wrap.
            fitted.add(l.columnLength() < f.width() ? l : l.columnSubSequence(0, Math.max(0, f.width() - 1)));
        }
        return fitted;
    }

    /** The plain table for a pipe or a file, and for {@code --once}: summary, totals, the rows. */
    static List<String> plain(JsonObject s, List<JsonObject> events, long nowMillis) {
        List<String> out = new ArrayList<>();
        out.add(summary(s) + "   " + CLOCK.format(Instant.ofEpochMilli(nowMillis)));
        out.add(totals(s));
        for (AttributedString l : table(s, events, Sort.BY_SLOT, nowMillis, false)) {
            out.add(l.toString().stripTrailing());
        }
        return out;
    }

    /** "forkline pid 4242 · reloading 2/4 · up 2h3m · 0.0.0.0:3000 · generation 3 · 4/4 ready". */
    static String summary(JsonObject s) {
        long ready = workers(s).stream().filter(w -> str(w, "role").equals("serving") && str(w, "state").equals("ready"))
                .count();
        return "forkline pid " + whole(num(s, "pid")) + " · " + phase(s) + " · up " + duration(num(s, "uptime_ms"))
                + " · " + orDash(str(s, "listen")) + " · generation " + whole(num(s, "generation")) + " · " + ready + "/"
                + whole(num(s, "workers_desired")) + " ready";
    }

    /**
     * The supervisor's phase: its {@code phase} when it says one, else its {@code state}; with the
     * progress of a reload under way ("reloading 2/4").
     */
    static String phase(JsonObject s) {
        String phase = str(s, "phase").isEmpty() ? str(s, "state") : str(s, "phase");
        JsonObject reload = obj(s, "reload");
        if (!Double.isNaN(num(reload, "done")) && !Double.isNaN(num(reload, "slots"))) {
            phase = (phase.isEmpty() ? "reloading" : phase) + " " + whole(num(reload, "done")) + "/"
                    + whole(num(reload, "slots"));
        }
        return phase.isEmpty() ? "-" : phase.toLowerCase(Locale.ROOT);
    }

    private static String totals(JsonObject s) {
        List<JsonObject> ws = workers(s);
        JsonObject restarts = obj(s, "restarts");
        double restartCount = 0;
        StringBuilder why = new StringBuilder();
        for (String reason : restarts.fieldNames()) {
            double n = num(restarts, reason);
            if (n > 0) {
                restartCount += n;
                why.append(why.length() == 0 ? " (" : ", ").append(reason).append(' ').append(whole(n));
            }
        }
        return "conns " + whole(num(s, "connections")) + "   accepts/s " + rate(sum(ws, w -> rate(w, "accepts_per_s")))
                + "   requests/s " + rate(sum(ws, w -> rate(w, "requests_per_s")))
                + "   bytes/s " + bytes(sum(ws, TopScreen::bytesPerSecond))
                + "   restarts " + whole(restartCount) + (why.length() > 0 ? why + ")" : "")
                + "   reloads " + whole(num(s, "reloads"));
    }

    /** Header, one row per worker in the sort order, and a TOTAL row. */
    private static List<AttributedString> table(JsonObject s, List<JsonObject> events, Sort sort, long now,
                                                boolean marks) {
        List<JsonObject> ws = new ArrayList<>(workers(s));
        Comparator<JsonObject> order = COLUMNS.get(Math.floorMod(sort.column(), COLUMNS.size())).order();
        ws.sort(sort.descending() ? order.reversed() : order);
        List<AttributedString> rows = new ArrayList<>();
        AttributedStringBuilder header = new AttributedStringBuilder().style(HEADER);
        for (int i = 0; i < COLUMNS.size(); i++) {
            Column c = COLUMNS.get(i);
            String title = c.title() + (marks && i == sort.column() ? (sort.descending() ? "▼" : "▲") : "");
            cell(header, title, c);
        }
        rows.add(header.toAttributedString());
        for (JsonObject w : ws) {
            AttributedStringBuilder row = new AttributedStringBuilder();
            String recent = marks ? recentKind(events, num(w, "pid"), now) : null;
            if (recent != null) {
                row.style(recent.equals("exit") || recent.equals("kill") ? RED : GREEN.bold());
            } else if (!str(w, "state").equals("ready") || !str(w, "role").equals("serving")) {
                row.style(YELLOW);
            }
            for (Column c : COLUMNS) {
                cell(row, c.text().apply(w), c);
            }
            rows.add(row.toAttributedString());
        }
        AttributedStringBuilder total = new AttributedStringBuilder().style(BOLD);
        for (Column c : COLUMNS) {
            String t = switch (c.title()) {
                case "SLOT" -> "TOTAL";
                case "CONNS" -> whole(sum(ws, w -> num(w, "connections")));
                case "ACC/S" -> rate(sum(ws, w -> rate(w, "accepts_per_s")));
                case "REQ/S" -> rate(sum(ws, w -> rate(w, "requests_per_s")));
                case "BYTES/S" -> bytes(sum(ws, TopScreen::bytesPerSecond));
                case "HEAP" -> bytes(sum(ws, w -> num(w, "heap_used"))) + "/" + bytes(sum(ws, w -> num(w, "heap_committed")));
                case "GC/S" -> rate(sum(ws, w -> rate(w, "gc_per_s")));
                case "CPU%" -> percent(sum(ws, w -> rate(w, "cpu_percent")));
                case "RESTARTS" -> whole(sum(ws, w -> num(w, "restarts")));
                default -> "";
            };
            cell(total, t, c);
        }
        rows.add(total.toAttributedString());
        return rows;
    }

    /** The newest event kind of this PID within {@link #RECENT_MILLIS}, if any. */
    private static String recentKind(List<JsonObject> events, double pid, long now) {
        for (int i = events.size() - 1; i >= 0; i--) {
            JsonObject e = events.get(i);
            if (now - num(e, "at_ms") > RECENT_MILLIS) {
                return null;
            }
            if (num(e, "pid") == pid) {
                return str(e, "kind");
            }
        }
        return null;
    }

    private static List<AttributedString> events(List<JsonObject> events, long now) {
        List<AttributedString> out = new ArrayList<>();
        for (JsonObject e : events) {
            String kind = str(e, "kind");
            AttributedStyle style = switch (kind) {
                case "exit", "kill", "reload_failed" -> RED;
                case "spawn", "respawn", "promote", "reload", "reload_step", "scale", "drain", "stop" -> YELLOW;
                case "ready", "reload_done" -> GREEN;
                default -> AttributedStyle.DEFAULT;
            };
            double at = num(e, "at_ms");
            // No slot: the supervisor's own event, or a standby's (it has a pid).
            String who = !Double.isNaN(num(e, "slot")) ? "worker " + whole(num(e, "slot"))
                    + (Double.isNaN(num(e, "pid")) ? "" : " pid " + whole(num(e, "pid")))
                    : Double.isNaN(num(e, "pid")) ? "supervisor" : "standby pid " + whole(num(e, "pid"));
            AttributedStringBuilder b = new AttributedStringBuilder();
            if (!Double.isNaN(at) && now - at <= RECENT_MILLIS) {
                b.style(style.bold());
            } else {
                b.style(style);
            }
            b.append(Double.isNaN(at) ? "--:--:--" : CLOCK.format(Instant.ofEpochMilli((long) at)))
                    .append("  ").append(pad(orDash(kind), 12, false)).append(pad(who, 24, false))
                    .append(str(e, "message"));
            out.add(b.toAttributedString());
        }
        return out;
    }

    private static void cell(AttributedStringBuilder b, String text, Column c) {
        b.append(c.width() == 0 ? text : pad(text, c.width(), c.alignRight())).append(c.width() == 0 ? "" : " ");
    }

    private static String pad(String s, int width, boolean right) {
        if (s.length() > width) {
            return s.substring(0, Math.max(0, width - 1)) + "…";
        }
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }

    private static Column numeric(String title, int width, Function<JsonObject, String> text, ToDoubleFunction<JsonObject> key) {
        // NaN (unknown) sorts first ascending; Double.compare orders it above every number, so map it.
        return new Column(title, width, true, text, Comparator.comparingDouble(w -> {
            double v = key.applyAsDouble(w);
            return Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
        }));
    }

    private static Column leftAligned(Column c) {
        return new Column(c.title(), c.width(), false, c.text(), c.order());
    }

    private static String roleState(JsonObject w) {
        String role = str(w, "role");
        String state = str(w, "state");
        return role.isEmpty() && state.isEmpty() ? "-" : orDash(role) + "/" + orDash(state);
    }

    private static double bytesPerSecond(JsonObject w) {
        double in = rate(w, "bytes_in_per_s");
        double out = rate(w, "bytes_out_per_s");
        return Double.isNaN(in) || Double.isNaN(out) ? Double.NaN : in + out;
    }

    private static String heap(JsonObject w) {
        double used = num(w, "heap_used");
        double committed = num(w, "heap_committed");
        return Double.isNaN(used) ? "-" : bytes(used) + "/" + bytes(committed);
    }

    // ---- reading JSON without trusting it ----

    static List<JsonObject> workers(JsonObject s) {
        Object v = s == null ? null : s.getValue("workers");
        List<JsonObject> out = new ArrayList<>();
        if (v instanceof JsonArray a) {
            for (Object o : a) {
                if (o instanceof JsonObject w) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    /** A number, or NaN when absent, null, not a number, or not finite. */
    static double num(JsonObject o, String key) {
        Object v = o == null ? null : o.getValue(key);
        if (v instanceof Number n) {
            double d = n.doubleValue();
            return Double.isFinite(d) ? d : Double.NaN;
        }
        return Double.NaN;
    }

    /** A rate from the worker's {@code rates}; NaN when unknown or negative. */
    private static double rate(JsonObject w, String key) {
        double v = num(obj(w, "rates"), key);
        return v < 0 ? Double.NaN : v;
    }

    static String str(JsonObject o, String key) {
        Object v = o == null ? null : o.getValue(key);
        return v instanceof String s ? s.replaceAll("\\p{Cntrl}", " ") : "";
    }

    static JsonObject obj(JsonObject o, String key) {
        Object v = o == null ? null : o.getValue(key);
        return v instanceof JsonObject j ? j : new JsonObject();
    }

    private static double sum(List<JsonObject> ws, ToDoubleFunction<JsonObject> value) {
        double total = 0;
        boolean any = false;
        for (JsonObject w : ws) {
            double v = value.applyAsDouble(w);
            if (!Double.isNaN(v)) {
                total += v;
                any = true;
            }
        }
        return any ? total : Double.NaN;
    }

    // ---- formatting ----

    private static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }

    static String whole(double v) {
        return Double.isNaN(v) ? "-" : Long.toString((long) v);
    }

    static String duration(double millis) {
        return Double.isNaN(millis) || millis < 0 ? "-" : AdminClient.human((long) millis);
    }

    static String seconds(double millis) {
        if (Double.isNaN(millis) || millis < 0) {
            return "-";
        }
        return millis < 10_000 ? String.format(Locale.ROOT, "%.1fs", millis / 1000) : AdminClient.human((long) millis);
    }

    /** 0.5, 12, 340, 1.2k, 45k, 3.1M. */
    static String rate(double v) {
        if (Double.isNaN(v) || v < 0) {
            return "-";
        }
        if (v < 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return si(v, 1000, "", "k", "M", "G", "T");
    }

    /** 512B, 1.5K, 12M, 1.2G (powers of 1024). */
    static String bytes(double v) {
        if (Double.isNaN(v) || v < 0) {
            return "-";
        }
        return si(v, 1024, "B", "K", "M", "G", "T");
    }

    static String percent(double v) {
        if (Double.isNaN(v) || v < 0) {
            return "-";
        }
        return v < 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String si(double v, double base, String... units) {
        int i = 0;
        while (v >= base && i < units.length - 1) {
            v /= base;
            i++;
        }
        if (i == 0) {
            return String.format(Locale.ROOT, "%.0f", v) + units[0];
        }
        return (v < 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v)) + units[i];
    }

    private static AttributedString line(AttributedStringBuilder b) {
        return b.toAttributedString();
    }
}
