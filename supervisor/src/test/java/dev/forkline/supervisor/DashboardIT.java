package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.SteadyLoad;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The dashboard in a real browser (Debian's headless Chromium, driven through chromedriver), as an
 * operator uses it: open the admin port, give the token, read the workers, kill one and watch the
 * respawn arrive. {@link DashboardFirefoxIT} runs the same tests in Firefox.
 */
@NeedsPrograms(value = {"chromium", "chromedriver"}, packages = "chromium chromium-driver")
class DashboardIT {
    private static final String TOKEN = "dashboard-test-token-0123456789";
    /** The bound: a respawn shows on the page within 3 s of the kill. */
    private static final Duration RESPAWN_SHOWN_WITHIN = Duration.ofSeconds(3);
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(30);

    /** A browser with a fresh profile; {@code phone}: a 390 x 844 touch screen. */
    Browser open(boolean phone) throws Exception {
        return new ChromiumBrowser(phone);
    }

    private static Set<Long> statusPids(ForklineProcess forkline, String... auth) throws Exception {
        JsonObject s = new JsonObject(forkline.admin("GET", "/status", auth).body());
        return s.getJsonArray("workers").stream().map(o -> ((JsonObject) o).getLong("pid")).collect(Collectors.toSet());
    }

    private static long statusPidOfSlot(ForklineProcess forkline, int slot, String... auth) throws Exception {
        JsonObject s = new JsonObject(forkline.admin("GET", "/status", auth).body());
        return s.getJsonArray("workers").stream().map(JsonObject.class::cast)
                .filter(w -> w.getInteger("slot") == slot && w.getString("role").equals("serving"))
                .mapToLong(w -> w.getLong("pid")).findFirst().orElse(-1);
    }

    @Test
    void withTheTokenTheTableListsExactlyTheWorkersOfStatusAndARespawnShowsWithinThreeSeconds() throws Exception {
        String[] auth = {"Authorization", "Bearer " + TOKEN};
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "3",
                "FORKLINE_ADMIN_TOKEN", TOKEN, "FORKLINE_MIN_UPTIME", "0"));
             Browser browser = open(false)) {
            forkline.awaitAllReady();
            // Some traffic for the charts (bounded: 120 s, 6000 probes a thread).
            SteadyLoad load = SteadyLoad.start("127.0.0.1", forkline.port, 3, Duration.ofMillis(20),
                    Duration.ofSeconds(120), 6000);
            String page = "http://127.0.0.1:" + forkline.adminPort + "/";
            browser.get(page);

            // No token yet: the form, one line saying why, and nothing else.
            await().atMost(PAGE_TIMEOUT).until(() -> browser.displayed("token"));
            assertThat(browser.displayed("main")).isFalse();
            assertThat(browser.text("summary")).isEqualTo("the admin API needs its token");
            assertThat(browser.text("login-error")).isEmpty();
            browser.type("token", "not-the-token-0123456789\n");
            await().atMost(PAGE_TIMEOUT).untilAsserted(() -> assertThat(browser.text("login-error"))
                    .isEqualTo("The supervisor refused that token (HTTP 401): check FORKLINE_ADMIN_TOKEN."));
            assertThat(browser.displayed("main")).isFalse();
            assertThat(browser.tablePids()).as("no partial data").isEmpty();

            browser.type("token", TOKEN + "\n");
            await().atMost(PAGE_TIMEOUT).untilAsserted(() ->
                    assertThat(browser.tablePids()).isEqualTo(statusPids(forkline, auth)).hasSize(3));
            assertThat(browser.currentUrl()).as("the token is never in the address").isEqualTo(page);
            assertThat(browser.js("return localStorage.getItem('forkline.admin.token')")).isEqualTo(TOKEN);

            long victim = statusPidOfSlot(forkline, 1, auth);
            ForklineProcess.signal(victim, "KILL");
            long killedAt = System.nanoTime();
            await().atMost(RESPAWN_SHOWN_WITHIN).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                long replacement = statusPidOfSlot(forkline, 1, auth);
                assertThat(replacement).isNotIn(-1L, victim);
                assertThat(browser.tablePids()).contains(replacement).doesNotContain(victim);
            });
            long shownAfterMillis = (System.nanoTime() - killedAt) / 1_000_000;
            long replacement = statusPidOfSlot(forkline, 1, auth);
            System.err.println("DashboardIT: the respawn of slot 1 showed " + shownAfterMillis + " ms after the kill");

            // The table goes on matching /status, the row counts the restart, the timeline tells it.
            await().atMost(PAGE_TIMEOUT).untilAsserted(() -> {
                assertThat(browser.tablePids()).isEqualTo(statusPids(forkline, auth));
                List<String> row = browser.row(replacement);
                assertThat(row.get(3)).isEqualTo("serving / ready");
                assertThat(row.get(13)).isEqualTo("1");
                assertThat(row.get(14)).isEqualTo("signal KILL (9)");
                assertThat(row.get(9)).as("heap").matches("\\S+ / \\S+");
                String events = browser.text("events");
                assertThat(events).contains("worker 1 pid " + victim + ": exited with signal KILL (9)",
                        "worker 1 pid " + replacement + ": respawned (restart 1");
            });
            await().atMost(PAGE_TIMEOUT).until(() -> browser.text("totals")
                    .matches("(?s).*\\n[1-9][0-9.]*k?\\nrequests/s.*"));
            assertThat(browser.count("#chart-connections canvas")).isEqualTo(1);
            assertThat(browser.count("#chart-requests canvas")).isEqualTo(1);
            Path shot = browser.screenshot("dashboard");
            assertThat(Files.size(shot)).isPositive();

            // Everything came from the admin port itself: no CDN, nothing fetched elsewhere.
            @SuppressWarnings("unchecked")
            List<String> fetched = (List<String>) browser.js(
                    "return performance.getEntriesByType('resource').map(e => e.name)");
            assertThat(fetched).isNotEmpty().allMatch(u -> u.startsWith(page));
            assertThat(browser.consoleErrors()).isEmpty();

            // A token that stops working while the page shows data (a supervisor restarted with
            // another one): the data goes, the form and one message come, the stored token is forgotten.
            browser.js("window.forklineDashboard.state.token = 'rotated-away-token-0123456789'");
            await().atMost(PAGE_TIMEOUT).untilAsserted(() -> assertThat(browser.text("login-error"))
                    .isEqualTo("The supervisor refused that token (HTTP 401): check FORKLINE_ADMIN_TOKEN."));
            assertThat(browser.displayed("main")).isFalse();
            assertThat(browser.tablePids()).as("no data left on the page").isEmpty();
            assertThat(browser.text("events")).isEmpty();
            assertThat(browser.count("#main canvas")).isZero();
            assertThat(browser.js("return localStorage.getItem('forkline.admin.token')")).isNull();
            load.stop();
        }
    }

    @Test
    void oddFiguresNeverBreakThePageAndShowAsADash() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"));
             Browser browser = open(false)) {
            long pid = forkline.awaitAllReady().get(0);
            browser.get("http://127.0.0.1:" + forkline.adminPort + "/");
            await().atMost(PAGE_TIMEOUT).until(() -> browser.tablePids().contains(pid));

            // What a broken worker or a future supervisor could put in the JSON, straight into the page's own code.
            Object result = browser.js("""
                    const d = window.forklineDashboard;
                    d.render({pid: 'x', state: 7, workers: [
                        {slot: 0, pid: 99001, role: 'serving', state: 'ready', connections: -5, heap_used: 'lots',
                         heap_committed: null, uptime_ms: Infinity, restarts: NaN, last_exit: '<b>bold</b>',
                         rates: {requests_per_s: 'fast', cpu_percent: -1, accepts_per_s: 1e308, gc_per_s: null}},
                        {slot: 1, pid: 99002, rates: 'none'}, null, 5, 'worker', [1, 2]],
                        restarts: {crash: 'many'}, reload: {done: 'x'}}, Date.now());
                    d.addEvents([null, {seq: 'x'}, {seq: 1e9, kind: 42, message: {a: 1}, at_ms: 'now'}, 7]);
                    d.render({}, 'now');
                    d.render(null);
                    d.render({workers: [{slot: 3, pid: 99003, last_exit: '<img src=x onerror=alert(1)>',
                                         rates: {requests_per_s: 'fast'}, heap_used: -1}]});
                    return document.querySelector('#workers tbody tr').innerText;
                    """);
            assertThat((String) result).contains("99003", "-", "<img src=x onerror=alert(1)>");
            assertThat(browser.count("#workers tbody img")).isZero();
            assertThat(browser.consoleErrors()).isEmpty();
            // And the page goes on with the real data at the next poll.
            await().atMost(PAGE_TIMEOUT).until(() -> browser.tablePids().equals(Set.of(pid)));
        }
    }

    @Test
    void readableOnAPhone() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"));
             Browser browser = open(true)) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            browser.get("http://127.0.0.1:" + forkline.adminPort + "/");
            await().atMost(PAGE_TIMEOUT).until(() -> browser.tablePids().containsAll(ready.values()));
            await().atMost(PAGE_TIMEOUT).until(() -> ((Long) browser.js("return window.forklineDashboard.state.times.length")) >= 5
                    && browser.count("#chart-requests canvas") > 0);
            // The page itself never scrolls sideways; the wide table scrolls inside its own box.
            assertThat((Long) browser.js("return window.innerWidth")).isEqualTo(390L);
            assertThat((Long) browser.js("return document.documentElement.scrollWidth"))
                    .isLessThanOrEqualTo((Long) browser.js("return window.innerWidth"));
            assertThat((Boolean) browser.js("const s = document.querySelector('.scroll'); return s.scrollWidth > s.clientWidth"))
                    .isTrue();
            assertThat((Long) browser.js("return document.querySelector('#chart-requests canvas').getBoundingClientRect().right|0"))
                    .isLessThanOrEqualTo(390L);
            // Text large enough to read without zooming.
            assertThat(Double.parseDouble((String) browser.js("return getComputedStyle(document.body).fontSize").toString()
                    .replace("px", ""))).isGreaterThanOrEqualTo(13);
            browser.screenshot("dashboard-phone");
            assertThat(browser.consoleErrors()).isEmpty();
        }
    }
}
