package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.ForklineProcess;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AdminApiIT {
    /** A sample line of the Prometheus text format: name, optional {labels}, value. */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? (\\S+)$");

    @Test
    void statusDescribesTheSupervisorAndEachWorker() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            ForklineProcess.Http res = forkline.admin("GET", "/status");

            assertThat(res.status()).isEqualTo(200);
            JsonObject s = new JsonObject(res.body());
            assertThat(s.getLong("pid")).isEqualTo(forkline.pid());
            assertThat(s.getString("state")).isEqualTo("running");
            assertThat(s.getInteger("generation")).isEqualTo(1);
            assertThat(s.getLong("uptime_ms")).isNotNegative();
            assertThat(s.getJsonArray("workers")).hasSize(2);
            for (Object o : s.getJsonArray("workers")) {
                JsonObject w = (JsonObject) o;
                assertThat(w.getLong("pid")).isEqualTo(ready.get(w.getInteger("slot")));
                assertThat(w.fieldNames()).contains("generation", "state", "started_at", "restarts", "last_exit",
                        "heartbeat_age_ms", "connections", "requests");
            }
            assertThat(s.fieldNames()).contains("last_reload", "reloading_to");
            assertThat(s.getValue("last_reload")).as("no reload yet").isNull();
        }
    }

    @Test
    void metricsAreValidPrometheusTextWithPerWorkerAndTotalSeries() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2", "FORKLINE_HEARTBEAT_INTERVAL", "100ms"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            for (int i = 0; i < 20; i++) {
                try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
                    c.send("PING");
                }
            }
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() ->
                    samples(forkline).getOrDefault("forkline_requests_total", 0.0) >= 20);

            ForklineProcess.Http res = forkline.admin("GET", "/metrics");
            assertThat(res.status()).isEqualTo(200);
            Map<String, Double> m = parse(res.body());

            for (Map.Entry<Integer, Long> w : ready.entrySet()) {
                // Counters by slot only (a respawn or reload keeps the series); who holds the slot is the info gauge.
                String slot = "{slot=\"" + w.getKey() + "\"}";
                assertThat(m).containsKeys("forkline_worker_connections" + slot,
                        "forkline_worker_accepted_connections_total" + slot,
                        "forkline_worker_requests_total" + slot,
                        "forkline_worker_bytes_in_total" + slot,
                        "forkline_worker_bytes_out_total" + slot,
                        "forkline_worker_heartbeat_age_seconds" + slot,
                        "forkline_worker_info{generation=\"1\",pid=\"" + w.getValue() + "\",role=\"serving\",slot=\""
                                + w.getKey() + "\"}");
            }
            // The JVM's figures, once each worker has read its MX beans (after ready).
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<String, Double> now = samples(forkline);
                for (Map.Entry<Integer, Long> w : ready.entrySet()) {
                    String slot = "{slot=\"" + w.getKey() + "\"}";
                    assertThat(now).containsKeys("forkline_worker_heap_committed_bytes" + slot,
                            "forkline_worker_gc_collections_total" + slot, "forkline_worker_gc_seconds_total" + slot);
                    assertThat(now.get("forkline_worker_heap_used_bytes" + slot)).isPositive();
                    assertThat(now.get("forkline_worker_cpu_seconds_total" + slot)).isPositive();
                }
            });
            assertThat(m.get("forkline_workers_up")).isEqualTo(2.0);
            assertThat(m.get("forkline_workers_desired")).isEqualTo(2.0);
            assertThat(m.get("forkline_requests_total")).isGreaterThanOrEqualTo(20.0);
            assertThat(m.get("forkline_accepted_connections_total")).isGreaterThanOrEqualTo(20.0);
            assertThat(m).containsKeys("forkline_connections", "forkline_bytes_in_total", "forkline_bytes_out_total",
                    "forkline_reloads_total", "forkline_generation", "forkline_supervisor_uptime_seconds");
            assertThat(res.body()).contains("# TYPE forkline_worker_restarts_total counter");
        }
    }

    @Test
    void statusShowsEachWorkersJvmFiguresAndRatesFromItsHeartbeats() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "2", "FORKLINE_HEARTBEAT_INTERVAL", "100ms"))) {
            forkline.awaitAllReady();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonObject s = new JsonObject(forkline.admin("GET", "/status").body());
                for (Object o : s.getJsonArray("workers")) {
                    JsonObject w = (JsonObject) o;
                    assertThat(w.getLong("heap_used")).isPositive().isLessThanOrEqualTo(w.getLong("heap_committed"));
                    assertThat(w.getLong("gc_count")).isNotNegative();
                    assertThat(w.getLong("gc_time_ms")).isNotNegative();
                    assertThat(w.getLong("cpu_time_ms")).isPositive();
                    assertThat(w.getLong("heartbeat_uptime_ms")).isPositive();
                    JsonObject rates = w.getJsonObject("rates");
                    assertThat(rates.fieldNames()).contains("accepts_per_s", "requests_per_s", "bytes_in_per_s",
                            "bytes_out_per_s", "gc_per_s", "cpu_percent");
                    assertThat(rates.getDouble("cpu_percent")).isNotNegative();
                    assertThat(rates.getDouble("requests_per_s")).isNotNegative();
                }
            });
        }
    }

    @Test
    void eventsTellWhatHappenedToEachWorkerInOrder() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"))) {
            long pid = forkline.awaitAllReady().get(0);
            JsonObject first = new JsonObject(forkline.admin("GET", "/events").body());
            assertThat(first.getJsonArray("events").stream().map(e -> ((JsonObject) e).getString("kind")))
                    .containsExactly("spawn", "ready");
            long seen = first.getLong("last");

            int mark = forkline.mark();
            ForklineProcess.signal(pid, "KILL");
            long newPid = forkline.await(event("worker_ready").with("slot", 0), mark, Duration.ofSeconds(30)).number("pid");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                JsonObject later = new JsonObject(forkline.admin("GET", "/events?after=" + seen).body());
                List<String> story = later.getJsonArray("events").stream().map(JsonObject.class::cast)
                        .map(e -> e.getString("kind") + " " + e.getLong("pid")).toList();
                assertThat(story).containsExactly("exit " + pid, "respawn " + newPid, "ready " + newPid);
                assertThat(later.getJsonArray("events").getJsonObject(0).getString("message"))
                        .contains("signal KILL");
            });
            ForklineProcess.Http bad = forkline.admin("GET", "/events?after=yesterday");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body()).contains("after must be an event number");
        }
    }

    @Test
    void restartsAreCountedByReasonAndCountersNeverGoBackAcrossARespawn() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1", "FORKLINE_HEARTBEAT_INTERVAL", "100ms"))) {
            long pid = forkline.awaitAllReady().get(0);
            for (int i = 0; i < 10; i++) {
                try (LineClient c = LineClient.connect("127.0.0.1", forkline.port)) {
                    c.send("PING");
                }
            }
            String slot0 = "forkline_worker_requests_total{slot=\"0\"}";
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
                    samples(forkline).getOrDefault(slot0, 0.0) >= 10);
            Map<String, Double> before = samples(forkline);
            int mark = forkline.mark();
            ForklineProcess.signal(pid, "KILL");
            forkline.await(event("worker_ready").with("slot", 0), mark, Duration.ofSeconds(30));

            Map<String, Double> after = samples(forkline);
            assertThat(after.get("forkline_worker_restarts_total{reason=\"signal\"}")).isEqualTo(1.0);
            // The slot's series goes on across the respawn (a new pid is a new info series, not new counters).
            assertThat(after.get(slot0)).as("the slot's requests after the respawn").isGreaterThanOrEqualTo(before.get(slot0));
            assertThat(after.get("forkline_requests_total")).as("the total after the respawn")
                    .isGreaterThanOrEqualTo(before.get("forkline_requests_total"));
            assertThat(after.keySet()).noneMatch(k -> k.startsWith("forkline_worker_info") && k.contains("pid=\"" + pid + "\""));
        }
    }

    @Test
    void healthAndLivenessProbes() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"))) {
            forkline.awaitAllReady();
            assertThat(forkline.admin("GET", "/healthz")).isEqualTo(new ForklineProcess.Http(200, "ok: 1 workers ready\n"));
            assertThat(forkline.admin("GET", "/readyz").status()).isEqualTo(200);
            assertThat(forkline.admin("GET", "/livez")).isEqualTo(new ForklineProcess.Http(200, "ok\n"));
            assertThat(forkline.admin("GET", "/nope").status()).isEqualTo(404);
            assertThat(forkline.admin("DELETE", "/status").status()).isEqualTo(405);
        }
    }

    @Test
    void offLoopbackTheApiNeedsATokenAndRefusesRequestsWithoutIt() throws Exception {
        String token = "s3cret-token-for-tests";
        try (ForklineProcess forkline = ForklineProcess.start(Map.of(
                "FORKLINE_WORKERS", "1", "FORKLINE_ADMIN_HOST", "0.0.0.0", "FORKLINE_ADMIN_TOKEN", token))) {
            forkline.awaitAllReady();
            ForklineProcess.Http refused = forkline.admin("GET", "/status");
            assertThat(refused.status()).isEqualTo(401);
            assertThat(refused.body()).contains("bearer token");
            assertThat(forkline.admin("POST", "/stop", "Authorization", "Bearer wrong-token-wrong-token").status())
                    .isEqualTo(401);
            assertThat(forkline.admin("GET", "/status", "Authorization", "Bearer " + token).status()).isEqualTo(200);
            assertThat(forkline.process.isAlive()).isTrue();
        }
    }

    @Test
    void startingOffLoopbackWithoutATokenIsAConfigurationError() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_ADMIN_HOST", "0.0.0.0"))) {
            assertThat(forkline.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            assertThat(forkline.log()).hasSize(1);
            assertThat(forkline.events()).singleElement().matches(event("config_error")).satisfies(e -> assertThat(e.message())
                    .contains("FORKLINE_ADMIN_HOST=0.0.0.0 is not a loopback address, so FORKLINE_ADMIN_TOKEN must be set"));
        }
    }

    static Map<String, Double> samples(ForklineProcess forkline) throws Exception {
        return parse(forkline.admin("GET", "/metrics").body());
    }

    /** Parses the text format strictly: every line is a comment, blank, or a valid sample. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : List.of(text.split("\n"))) {
            if (line.isEmpty() || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("a valid sample line: %s", line).isTrue();
            samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
        }
        return samples;
    }
}
