package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.jline.utils.AttributedString;
import org.junit.jupiter.api.Test;

class TopScreenTest {
    private static final long NOW = 1_800_000_000_000L;

    private static JsonObject worker(int slot, long pid, String role, String state, double reqPerSecond) {
        return new JsonObject().put("slot", slot).put("pid", pid).put("generation", 2).put("role", role)
                .put("state", state).put("uptime_ms", 65_000).put("connections", 12).put("restarts", 1)
                .put("last_exit", "signal KILL (9)").put("heartbeat_age_ms", 400)
                .put("heap_used", 12 * 1024 * 1024).put("heap_committed", 16 * 1024 * 1024)
                .put("rates", new JsonObject().put("accepts_per_s", 3.0).put("requests_per_s", reqPerSecond)
                        .put("bytes_in_per_s", 1024.0).put("bytes_out_per_s", 2048.0).put("gc_per_s", 0.5)
                        .put("cpu_percent", 12.5));
    }

    private static JsonObject status(JsonObject... workers) {
        return new JsonObject().put("pid", 4242).put("state", "running").put("uptime_ms", 7_380_000)
                .put("listen", "0.0.0.0:3000").put("generation", 2).put("workers_desired", 2).put("connections", 24)
                .put("reloads", 1).put("restarts", new JsonObject().put("signal", 1).put("crash", 0))
                .put("workers", new JsonArray(List.of((Object[]) workers)));
    }

    private static List<String> screen(JsonObject status, List<JsonObject> events, TopScreen.Sort sort) {
        return TopScreen.render(new TopScreen.Frame(status, events, sort, "", NOW, 160, 30)).stream()
                .map(AttributedString::toString).toList();
    }

    @Test
    void showsThePhaseEachWorkerTotalsEventsAndKeys() {
        JsonObject event = new JsonObject().put("seq", 7).put("at_ms", NOW - 1000).put("kind", "respawn")
                .put("slot", 1).put("pid", 5002).put("generation", 2).put("message", "respawned (restart 1)");
        List<String> lines = screen(status(worker(0, 5001, "serving", "ready", 120), worker(1, 5002, "serving", "ready", 80)),
                List.of(event), TopScreen.Sort.BY_SLOT);

        assertThat(lines).hasSize(30);
        assertThat(lines.get(0)).startsWith("forkline pid 4242 · running · up 2h3m · 0.0.0.0:3000 · generation 2 · 2/2 ready");
        assertThat(lines.get(1)).contains("conns 24", "requests/s 200", "bytes/s 6.0K", "restarts 1 (signal 1)", "reloads 1");
        assertThat(lines.get(3)).contains("SLOT▲", "PID", "GEN", "ROLE/STATE", "UPTIME", "CONNS", "ACC/S", "REQ/S",
                "BYTES/S", "HEAP", "GC/S", "CPU%", "HB", "RESTARTS", "LAST EXIT");
        assertThat(lines.get(4)).contains("5001", "serving/ready", "1m5s", "120", "3.0K", "12M/16M", "0.5", "12", "0.4s",
                "signal KILL (9)");
        assertThat(lines.get(6)).startsWith("TOTAL").contains("200", "6.0K", "24M/32M");
        assertThat(String.join("\n", lines)).contains("recent events", "respawn", "worker 1 pid 5002", "respawned (restart 1)");
        assertThat(lines.get(29)).startsWith("q quit  r reload  +/- scale");
    }

    @Test
    void aReloadUnderWayShowsItsProgress() {
        JsonObject s = status().put("state", "reloading")
                .put("reload", new JsonObject().put("generation", 3).put("done", 2).put("slots", 4));
        assertThat(TopScreen.phase(s)).isEqualTo("reloading 2/4");
        assertThat(TopScreen.phase(s.copy().put("phase", "RELOADING"))).as("a phase field, when there is one")
                .isEqualTo("reloading 2/4");
        assertThat(TopScreen.phase(status())).isEqualTo("running");
    }

    @Test
    void sortsByAnyColumnEitherWay() {
        JsonObject s = status(worker(0, 5001, "serving", "ready", 10), worker(1, 5002, "serving", "ready", 900),
                worker(2, 5003, "serving", "ready", 50));
        int byRequests = TopScreen.COLUMNS.stream().map(TopScreen.Column::title).toList().indexOf("REQ/S");
        List<String> rows = screen(s, List.of(), new TopScreen.Sort(byRequests, true)).subList(4, 7);
        assertThat(rows.get(0)).contains("5002");
        assertThat(rows.get(1)).contains("5003");
        assertThat(rows.get(2)).contains("5001");
        assertThat(new TopScreen.Sort(0, false).next(-1).column()).isEqualTo(TopScreen.COLUMNS.size() - 1);
    }

    @Test
    void unknownFiguresShowAsADashAndControlCharactersNeverReachTheTerminal() {
        JsonObject odd = new JsonObject().put("slot", "zero").put("pid", 77).put("role", 5)
                .put("heap_used", null).put("rates", "fast").put("last_exit", "boom\u001b[2J\u0007");
        List<String> lines = screen(status(odd), List.of(new JsonObject().put("kind", List.of(1))), TopScreen.Sort.BY_SLOT);
        assertThat(lines.get(4)).contains("77", " - ").doesNotContain("\u001b", "\u0007").contains("boom");
    }

    /**
     * The whole way from a worker that sends odd figures to the screen: the codec reads them as
     * unknown, the rates between two such heartbeats are unknown, /status says null, top shows "-",
     * and the counters of the same heartbeats still arrive.
     */
    @Test
    void aHeartbeatWithMalformedFiguresShowsDashesAndKeepsItsCounters() {
        String counters = "\"type\":\"heartbeat\",\"pid\":5001,\"slot\":0,\"generation\":2,\"connections\":7,"
                + "\"accepted\":10,\"requests\":100,\"bytes_in\":1000,\"bytes_out\":2000,\"http_requests\":0";
        String odd = ",\"heap_used\":\"lots\",\"heap_committed\":-3,\"gc_count\":1.5,\"gc_time_ms\":null,"
                + "\"cpu_time_ms\":99999999999999999999";
        dev.forkline.protocol.WorkerStats first = ((dev.forkline.protocol.ControlMessage.Heartbeat)
                dev.forkline.protocol.ControlCodec.decode("{" + counters + ",\"uptime_ms\":1000" + odd + "}")).stats();
        dev.forkline.protocol.WorkerStats second = ((dev.forkline.protocol.ControlMessage.Heartbeat)
                dev.forkline.protocol.ControlCodec.decode("{" + counters.replace("\"requests\":100", "\"requests\":300")
                        + ",\"uptime_ms\":2000" + odd + "}")).stats();
        Rates rates = Rates.between(first, second, Rates.UNKNOWN);
        Snapshot snapshot = new Snapshot(4242, NOW - 60_000, 60_000, "running", 2, 1, 0,
                List.of(new Snapshot.Worker(0, 5001, 2, "ready", "serving", NOW - 30_000, 0, "", 400, second, rates)),
                List.of(), java.util.Map.of(), 0, Snapshot.Totals.ZERO, "0.0.0.0:3000", 0, null, java.util.Map.of(), null, List.of());

        JsonObject status = AdminServer.status(snapshot);
        JsonObject w = status.getJsonArray("workers").getJsonObject(0);
        assertThat(w.getValue("heap_used")).isNull();
        assertThat(w.getValue("cpu_time_ms")).isNull();
        assertThat(w.getJsonObject("rates").getValue("gc_per_s")).isNull();
        assertThat(w.getJsonObject("rates").getValue("cpu_percent")).isNull();
        assertThat(w.getJsonObject("rates").getDouble("requests_per_s")).isEqualTo(200.0);
        assertThat(w.getLong("connections")).isEqualTo(7);

        List<String> titles = TopScreen.COLUMNS.stream().map(TopScreen.Column::title).toList();
        String[] cells = screen(status, List.of(), TopScreen.Sort.BY_SLOT).get(4).strip().split(" +");
        for (String unknown : List.of("HEAP", "GC/S", "CPU%")) {
            assertThat(cells[titles.indexOf(unknown)]).as(unknown).isEqualTo("-");
        }
        assertThat(cells[titles.indexOf("PID")]).isEqualTo("5001");
        assertThat(cells[titles.indexOf("CONNS")]).isEqualTo("7");
        assertThat(cells[titles.indexOf("REQ/S")]).isEqualTo("200");
    }

    @Test
    void plainTableForPipesAndOnce() {
        List<String> plain = TopScreen.plain(status(worker(0, 5001, "serving", "ready", 1)), List.of(), NOW);
        assertThat(plain.get(0)).startsWith("forkline pid 4242 · running");
        assertThat(plain.get(2)).startsWith("SLOT ").doesNotContain("▲");
        assertThat(plain.get(3)).contains("5001");
        assertThat(plain.get(4)).startsWith("TOTAL");
    }

    @Test
    void unitsStayShort() {
        assertThat(TopScreen.bytes(512)).isEqualTo("512B");
        assertThat(TopScreen.bytes(1536)).isEqualTo("1.5K");
        assertThat(TopScreen.bytes(12.5 * 1024 * 1024)).isEqualTo("13M");
        assertThat(TopScreen.rate(0.25)).isEqualTo("0.3");
        assertThat(TopScreen.rate(340)).isEqualTo("340");
        assertThat(TopScreen.rate(45_600)).isEqualTo("46k");
        assertThat(TopScreen.rate(Double.NaN)).isEqualTo("-");
        assertThat(TopScreen.seconds(12_000)).isEqualTo("12s");
    }

    /** Whatever a worker or a newer supervisor puts in the JSON, the screen has its size and never throws. */
    @Property(tries = 150)
    void anyStatusRendersToExactlyTheScreenSize(@ForAll("statuses") JsonObject status, @ForAll("statuses") JsonObject event,
                                                @ForAll @IntRange(min = 1, max = 200) int width,
                                                @ForAll @IntRange(min = 1, max = 60) int height,
                                                @ForAll @IntRange(min = -3, max = 20) int column) {
        List<AttributedString> lines = TopScreen.render(new TopScreen.Frame(status, List.of(event),
                new TopScreen.Sort(column, column % 2 == 0), "msg", NOW, width, height));
        assertThat(lines).hasSize(height);
        lines.forEach(l -> assertThat(l.columnLength()).isLessThan(Math.max(width, 1)));
        TopScreen.plain(status, List.of(event), NOW);
    }

    @Provide
    Arbitrary<JsonObject> statuses() {
        Arbitrary<Object> scalar = Arbitraries.oneOf(Arbitraries.longs().map(Object.class::cast),
                Arbitraries.doubles().map(Object.class::cast), Arbitraries.strings().ofMaxLength(30).map(Object.class::cast),
                Arbitraries.just(null), Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, -1.0, Long.MIN_VALUE));
        Arbitrary<String> keys = Arbitraries.of("pid", "slot", "state", "phase", "role", "uptime_ms", "connections",
                "heap_used", "heap_committed", "restarts", "last_exit", "heartbeat_age_ms", "seq", "at_ms", "kind",
                "done", "slots", "requests_per_s", "cpu_percent", "generation", "workers_desired", "listen");
        Arbitrary<JsonObject> flat = Arbitraries.maps(keys, scalar).ofMaxSize(12).map(m -> new JsonObject(new java.util.HashMap<>(m)));
        Arbitrary<JsonObject> worker = Combinators2.withRates(flat);
        return Combinators2.status(flat, worker);
    }

    /** Builds nested shapes from flat ones: rates inside workers, workers and reload inside a status. */
    private static final class Combinators2 {
        static Arbitrary<JsonObject> withRates(Arbitrary<JsonObject> flat) {
            return net.jqwik.api.Combinators.combine(flat, flat, Arbitraries.of(true, false))
                    .as((w, r, nest) -> nest ? w.copy().put("rates", r) : w.copy().put("rates", "odd"));
        }

        static Arbitrary<JsonObject> status(Arbitrary<JsonObject> flat, Arbitrary<JsonObject> worker) {
            return net.jqwik.api.Combinators.combine(flat, worker.list().ofMaxSize(5), flat, Arbitraries.of(0, 1, 2))
                    .as((s, ws, reload, shape) -> switch (shape) {
                        case 0 -> s.copy().put("workers", new JsonArray(List.copyOf(ws))).put("reload", reload);
                        case 1 -> s.copy().put("workers", "none").put("restarts", reload);
                        default -> s.copy().put("workers", new JsonArray().add(1).add("x").addNull());
                    });
        }
    }
}
