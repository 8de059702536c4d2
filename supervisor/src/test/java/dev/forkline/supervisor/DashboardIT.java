package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.SteadyLoad;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The dashboard in a real browser (Debian's headless Chromium, driven through chromedriver), as an
 * operator uses it: open the admin port, give the token, read the workers, kill one and watch the
 * respawn arrive.
 */
@NeedsPrograms(value = {"chromium", "chromedriver"}, packages = "chromium chromium-driver")
class DashboardIT {
    private static final String TOKEN = "dashboard-test-token-0123456789";
    /** The bound: a respawn shows on the page within 3 s of the kill. */
    private static final Duration RESPAWN_SHOWN_WITHIN = Duration.ofSeconds(3);
    private static final Duration PAGE_TIMEOUT = Duration.ofSeconds(30);

    /** A browser with a fresh profile; {@code phone}: a 390 x 844 touch screen. */
    private static final class Browser implements AutoCloseable {
        final ChromeDriver driver;
        private final Path profile;

        Browser(boolean phone) throws Exception {
            profile = Files.createTempDirectory("forkline-chromium");
            ChromeOptions options = new ChromeOptions();
            options.setBinary(NeedsPrograms.Condition.find("chromium"));
            options.addArguments(Screenshots.CHROMIUM_FLAGS);
            options.addArguments("--user-data-dir=" + profile, "--window-size=1280,1000");
            if (phone) {
                options.setExperimentalOption("mobileEmulation", Map.of(
                        "deviceMetrics", Map.of("width", 390, "height", 844, "pixelRatio", 2.0, "touch", true)));
            }
            options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, "ALL"));
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(new File(NeedsPrograms.Condition.find("chromedriver")))
                    .usingAnyFreePort().build();
            driver = new ChromeDriver(service, options);
        }

        Object js(String script, Object... args) {
            return ((JavascriptExecutor) driver).executeScript(script, args);
        }

        /** PIDs in the worker table as the page shows them now. */
        Set<Long> tablePids() {
            return rows().keySet();
        }

        /** The cells of the row that shows this PID; empty when there is none. */
        List<String> row(long pid) {
            return rows().getOrDefault(pid, List.of());
        }

        /**
         * The table, read in one script: the page redraws it every second, so elements found one
         * call earlier may be gone (stale) by the next.
         */
        @SuppressWarnings("unchecked")
        Map<Long, List<String>> rows() {
            List<List<String>> rows = (List<List<String>>) js("return [...document.querySelectorAll('#workers tbody tr')]"
                    + ".map(tr => [tr.dataset.pid, ...[...tr.cells].map(td => td.textContent)])");
            Map<Long, List<String>> byPid = new java.util.HashMap<>();
            for (List<String> r : rows) {
                if (r.get(0) != null && r.get(0).matches("\\d+")) {
                    byPid.put(Long.parseLong(r.get(0)), r.subList(1, r.size()));
                }
            }
            return byPid;
        }

        Path screenshot(String name) throws Exception {
            Path png = Screenshots.dir().resolve(name + ".png");
            Files.write(png, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            return png;
        }

        /** Console errors: a script error, a refused resource, a Content-Security-Policy violation. */
        List<String> consoleErrors() {
            List<String> errors = new ArrayList<>();
            for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
                if (e.getLevel().intValue() >= Level.SEVERE.intValue()
                        && !e.getMessage().contains("401 (Unauthorized)")) { // the refused token, on purpose
                    errors.add(e.getMessage());
                }
            }
            return errors;
        }

        @Override
        public void close() throws Exception {
            driver.quit();
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
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
             Browser browser = new Browser(false)) {
            forkline.awaitAllReady();
            // Some traffic for the charts (bounded: 120 s, 6000 probes a thread).
            SteadyLoad load = SteadyLoad.start("127.0.0.1", forkline.port, 3, Duration.ofMillis(20),
                    Duration.ofSeconds(120), 6000);
            String page = "http://127.0.0.1:" + forkline.adminPort + "/";
            browser.driver.get(page);

            // No token yet: the form, one line saying why, and nothing else.
            WebElement token = browser.driver.findElement(By.id("token"));
            await().atMost(PAGE_TIMEOUT).until(token::isDisplayed);
            assertThat(browser.driver.findElement(By.id("main")).isDisplayed()).isFalse();
            assertThat(browser.driver.findElement(By.id("summary")).getText()).isEqualTo("the admin API needs its token");
            assertThat(browser.driver.findElement(By.id("login-error")).getText()).isEmpty();
            token.sendKeys("not-the-token-0123456789\n");
            await().atMost(PAGE_TIMEOUT).untilAsserted(() -> assertThat(browser.driver.findElement(By.id("login-error"))
                    .getText()).isEqualTo("The supervisor refused that token (HTTP 401): check FORKLINE_ADMIN_TOKEN."));
            assertThat(browser.driver.findElement(By.id("main")).isDisplayed()).isFalse();
            assertThat(browser.tablePids()).as("no partial data").isEmpty();

            browser.driver.findElement(By.id("token")).sendKeys(TOKEN + "\n");
            await().atMost(PAGE_TIMEOUT).untilAsserted(() ->
                    assertThat(browser.tablePids()).isEqualTo(statusPids(forkline, auth)).hasSize(3));
            assertThat(browser.driver.getCurrentUrl()).as("the token is never in the address").isEqualTo(page);
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
                String events = browser.driver.findElement(By.id("events")).getText();
                assertThat(events).contains("worker 1 pid " + victim + ": exited with signal KILL (9)",
                        "worker 1 pid " + replacement + ": respawned (restart 1");
            });
            await().atMost(PAGE_TIMEOUT).until(() -> browser.driver.findElement(By.id("totals")).getText()
                    .matches("(?s).*\\n[1-9][0-9.]*k?\\nrequests/s.*"));
            assertThat(browser.driver.findElements(By.cssSelector("#chart-connections canvas"))).hasSize(1);
            assertThat(browser.driver.findElements(By.cssSelector("#chart-requests canvas"))).hasSize(1);
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
            await().atMost(PAGE_TIMEOUT).untilAsserted(() -> assertThat(browser.driver.findElement(By.id("login-error"))
                    .getText()).isEqualTo("The supervisor refused that token (HTTP 401): check FORKLINE_ADMIN_TOKEN."));
            assertThat(browser.driver.findElement(By.id("main")).isDisplayed()).isFalse();
            assertThat(browser.tablePids()).as("no data left on the page").isEmpty();
            assertThat(browser.driver.findElement(By.id("events")).getText()).isEmpty();
            assertThat(browser.driver.findElements(By.cssSelector("#main canvas"))).isEmpty();
            assertThat(browser.js("return localStorage.getItem('forkline.admin.token')")).isNull();
            load.stop();
        }
    }

    @Test
    void oddFiguresNeverBreakThePageAndShowAsADash() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"));
             Browser browser = new Browser(false)) {
            long pid = forkline.awaitAllReady().get(0);
            browser.driver.get("http://127.0.0.1:" + forkline.adminPort + "/");
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
            assertThat(browser.driver.findElements(By.cssSelector("#workers tbody img"))).isEmpty();
            assertThat(browser.consoleErrors()).isEmpty();
            // And the page goes on with the real data at the next poll.
            await().atMost(PAGE_TIMEOUT).until(() -> browser.tablePids().equals(Set.of(pid)));
        }
    }

    @Test
    void readableOnAPhone() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"));
             Browser browser = new Browser(true)) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            browser.driver.get("http://127.0.0.1:" + forkline.adminPort + "/");
            await().atMost(PAGE_TIMEOUT).until(() -> browser.tablePids().containsAll(ready.values()));
            await().atMost(PAGE_TIMEOUT).until(() -> ((Long) browser.js("return window.forklineDashboard.state.times.length")) >= 5
                    && !browser.driver.findElements(By.cssSelector("#chart-requests canvas")).isEmpty());
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
