package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.testkit.ForklineProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import dev.forkline.testkit.SteadyLoad;
import org.junit.jupiter.api.Test;

/**
 * {@code forkline top} in a real terminal (tmux), as an operator uses it: start it, read the
 * screen, kill a worker and watch the respawn, press keys, quit, and find the terminal as it was.
 */
@NeedsPrograms(value = {"tmux", "chromium"}, packages = "tmux chromium")
class TopIT {
    private static final int COLUMNS = 150;
    private static final int ROWS = 32;
    private static final Duration SCREEN_TIMEOUT = Duration.ofSeconds(30);

    /** The shell line that runs top against this supervisor and then says how it exited. */
    private static String topCommand(ForklineProcess forkline, String env) {
        return "env " + env + " FORKLINE_ADMIN_PORT=" + forkline.adminPort + " "
                + Path.of(System.getProperty("java.home"), "bin", "java") + " -jar " + ForklineProcess.jar()
                + " top; echo \"top exited $?\"";
    }

    /** Runs top in the terminal and waits until its full screen shows this worker. */
    private static void startTop(Tmux terminal, ForklineProcess forkline, long pid) throws Exception {
        terminal.type(topCommand(forkline, ""));
        await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> {
            assertThat(terminal.screen()).contains(" " + pid + " ");
            assertThat(terminal.alternateScreen()).isTrue();
        });
    }

    @Test
    void showsEveryWorkerLiveARespawnAsItHappensAndQuitRestoresTheTerminal() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"));
             Tmux terminal = new Tmux(COLUMNS, ROWS)) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            // Some traffic, so the rates are not all zero (bounded: 90 s, 4000 probes a thread).
            SteadyLoad load = SteadyLoad.start("127.0.0.1", forkline.port, 2, Duration.ofMillis(25),
                    Duration.ofSeconds(90), 4000);
            terminal.type(topCommand(forkline, ""));
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> {
                String screen = terminal.screen();
                assertThat(screen).contains("forkline pid " + forkline.pid(), "running", "2/2 ready", "SLOT", "REQ/S",
                        "HEAP", "CPU%", "RESTARTS", " " + ready.get(0) + " ", " " + ready.get(1) + " ");
                assertThat(terminal.alternateScreen()).as("full screen").isTrue();
            });

            long victim = ready.get(1);
            int mark = forkline.mark();
            ForklineProcess.signal(victim, "KILL");
            String newPid = Long.toString(forkline.await(event("worker_respawned").with("slot", 1), mark,
                    Duration.ofSeconds(30)).number("pid"));
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> {
                String screen = terminal.screen();
                String row = rowOf(screen, newPid);
                assertThat(row).as("the new worker's row:\n%s", screen).matches("1 +" + newPid + " .*")
                        .containsPattern(" 1 +signal KILL \\(9\\)$");
                assertThat(screen).contains("restarts 1 (signal 1)")
                        .containsPattern("exit +worker 1 pid " + victim + " +exited with signal KILL \\(9\\)")
                        .containsPattern("respawn +worker 1 pid " + newPid);
                assertThat(rowOf(screen, Long.toString(victim))).as("no row for the dead worker").isEmpty();
            });
            // Ready, with its figures, and still new (its row green and bold): the picture shows it.
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> assertThat(rowOf(terminal.screen(), newPid))
                    .contains("serving/ready").containsPattern("\\d+(\\.\\d)?M/\\d+(\\.\\d)?M"));
            Path shot = Screenshots.terminal("top", terminal.screenWithAttributes(), COLUMNS, ROWS);
            assertThat(Files.size(shot)).isPositive();

            terminal.press(">");
            terminal.press("s");
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() ->
                    assertThat(terminal.screen()).contains("PID▼", "sorted by PID (descending)"));

            terminal.press("q");
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> {
                assertThat(terminal.screen()).contains("top exited 0");
                assertThat(terminal.alternateScreen()).as("back on the main screen").isFalse();
            });
            assertTerminalRestored(terminal);
            assertThat(forkline.process.isAlive()).isTrue();
            load.stop();
        }
    }

    @Test
    void reloadAndScaleFromTheKeyboardShowThePhaseAndTheNewWorkers() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"));
             Tmux terminal = new Tmux(COLUMNS, ROWS)) {
            long first = forkline.awaitAllReady().get(0);
            startTop(terminal, forkline, first);

            int mark = forkline.mark();
            terminal.press("r");
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> assertThat(terminal.screen())
                    .contains("reloading to generation 2, one slot at a time", "reload ", "supervisor"));
            forkline.await(event("reload_completed").with("generation", 2), mark, Duration.ofSeconds(60));
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> assertThat(terminal.screen())
                    .contains("generation 2 · 1/1 ready", "reload_done").containsPattern("reload_step +worker 0 pid \\d+"));

            terminal.press("+");
            forkline.await(event("worker_ready").with("slot", 1), mark, Duration.ofSeconds(60));
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> assertThat(terminal.screen())
                    .contains("2/2 ready").containsPattern("(?m)^1 +\\d+ +2 serving/ready"));
            terminal.press("q");
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> assertThat(terminal.screen()).contains("top exited 0"));
        }
    }

    @Test
    void whenTheSupervisorGoesAwayTopSaysSoRestoresTheTerminalAndExitsNonZero() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"));
             Tmux terminal = new Tmux(COLUMNS, ROWS)) {
            long pid = forkline.awaitAllReady().get(0);
            startTop(terminal, forkline, pid);
            forkline.signal("KILL");
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> {
                String screen = terminal.screen();
                assertThat(screen).contains("forkline top: the supervisor went away: cannot reach the supervisor at",
                        "top exited 1");
                assertThat(terminal.alternateScreen()).isFalse();
            });
            assertTerminalRestored(terminal);
        }
    }

    @Test
    void aWrongTokenGetsOneClearLineAndNoData() throws Exception {
        String token = "the-right-token-0123456789";
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1",
                "FORKLINE_ADMIN_TOKEN", token));
             Tmux terminal = new Tmux(COLUMNS, ROWS)) {
            long pid = forkline.awaitAllReady().get(0);
            for (String given : new String[] {"", "not-the-token-0123456789"}) {
                ForklineProcess.CommandResult once = ForklineProcess.command(Map.of(
                        "FORKLINE_ADMIN_PORT", Integer.toString(forkline.adminPort), "FORKLINE_ADMIN_TOKEN", given),
                        "top", "--once");
                assertThat(once.exitCode()).isEqualTo(1);
                assertThat(once.stdout()).isEmpty();
                assertThat(once.stderr().strip()).doesNotContain("\n")
                        .endsWith("refused the request: missing or wrong FORKLINE_ADMIN_TOKEN");
            }
            terminal.type(topCommand(forkline, "FORKLINE_ADMIN_TOKEN=not-the-token-0123456789"));
            await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> assertThat(terminal.screen()).contains("top exited 1"));
            assertThat(terminal.screen()).contains("missing or wrong FORKLINE_ADMIN_TOKEN")
                    .doesNotContain(Long.toString(pid), "SLOT");
            assertThat(terminal.alternateScreen()).isFalse();
            assertTerminalRestored(terminal);

            ForklineProcess.CommandResult right = ForklineProcess.command(Map.of(
                    "FORKLINE_ADMIN_PORT", Integer.toString(forkline.adminPort), "FORKLINE_ADMIN_TOKEN", token),
                    "top", "--once");
            assertThat(right.exitCode()).as(right.stderr()).isZero();
            assertThat(right.stdout()).contains(" " + pid + " ");
        }
    }

    @Test
    void withoutATerminalTopPrintsPlainTablesAndOnceExactlyOne() throws Exception {
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            Map<Integer, Long> ready = forkline.awaitAllReady();
            ForklineProcess.CommandResult once = forkline.command("top", "--once");
            assertThat(once.exitCode()).as(once.stderr()).isZero();
            List<String> lines = once.stdout().lines().toList();
            assertThat(lines.get(0)).startsWith("forkline pid " + forkline.pid() + " · running");
            assertThat(lines.get(2)).startsWith("SLOT ");
            assertThat(lines).filteredOn(l -> l.startsWith("TOTAL")).hasSize(1);
            ready.values().forEach(pid -> assertThat(once.stdout()).contains(" " + pid + " "));
            assertThat(once.stdout()).doesNotContain("\u001b");

            // Into a pipe: a table a second, no escape sequences, until we stop reading.
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", ForklineProcess.jar().toString(), "top").redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("FORKLINE_"));
            pb.environment().put("FORKLINE_ADMIN_PORT", Integer.toString(forkline.adminPort));
            Process piped = pb.start();
            try {
                var out = new java.io.BufferedReader(new java.io.InputStreamReader(piped.getInputStream(),
                        java.nio.charset.StandardCharsets.UTF_8));
                int tables = 0;
                String line;
                long deadline = System.nanoTime() + SCREEN_TIMEOUT.toNanos();
                while (tables < 2 && (line = out.readLine()) != null && System.nanoTime() < deadline) {
                    assertThat(line).doesNotContain("\u001b");
                    if (line.startsWith("TOTAL")) {
                        tables++;
                    }
                }
                assertThat(tables).isEqualTo(2);
            } finally {
                piped.destroyForcibly();
            }
        }
    }

    /** Cooked mode again: the shell echoes what is typed, and stty says echo and icanon are on. */
    private static void assertTerminalRestored(Tmux terminal) throws Exception {
        terminal.type("stty -a | tr ' ' '\\n' | grep -x -e echo -e icanon -e -echo -e -icanon | sort | paste -sd, | sed 's/^/tty: /'");
        await().atMost(SCREEN_TIMEOUT).untilAsserted(() -> assertThat(terminal.screen()).contains("tty: echo,icanon"));
    }

    /** The table row (trimmed) that shows this PID, or "" when none does. */
    private static String rowOf(String screen, String pid) {
        return screen.lines().map(String::strip).filter(l -> l.matches("\\d+ +" + pid + " .*")).findFirst().orElse("");
    }
}
