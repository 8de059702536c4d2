package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import dev.forkline.supervisor.apps.TestApps;
import dev.forkline.testkit.AppJars;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import dev.forkline.testkit.LogEvent;
import dev.forkline.testkit.SteadyLoad;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code forkline takeover}: a new supervisor joins the running one's ports and replaces it, as
 * nginx's binary upgrade does; and every takeover that must not happen is refused with one line.
 */
class TakeoverIT {

    /** The settings of a Forkline on the same ports as {@code running}. */
    private static Map<String, String> samePorts(ForklineProcess running, Map<String, String> more) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("FORKLINE_HOST", "127.0.0.1");
        env.put("FORKLINE_PORT", Integer.toString(running.port));
        env.put("FORKLINE_HTTP_PORT", Integer.toString(running.httpPort));
        env.put("FORKLINE_ADMIN_PORT", Integer.toString(running.adminPort));
        env.put("FORKLINE_LOG_FORMAT", "json");
        env.putAll(more);
        return env;
    }

    private static long pidOf(String json) {
        return new JsonObject(json).getLong("pid");
    }

    private static String cmdline(long pid) throws java.io.IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ');
    }

    @Test
    void aNewVersionTakesOverUnderLoadWithoutAFailedConnectionOrRequest(@TempDir Path dir) throws Exception {
        // The new version: the jar as a build of another version would be (another Implementation-Version).
        Path next = AppJars.withManifest(ForklineProcess.jar(), dir.resolve("forkline-next.jar"),
                Map.of("Implementation-Version", "9.9.9-takeover"));
        try (ForklineProcess old = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            Set<Long> oldWorkers = new HashSet<>(old.awaitAllReady().values());
            SteadyLoad line = SteadyLoad.start("127.0.0.1", old.port, 3, Duration.ofMillis(5),
                    Duration.ofSeconds(120), 20_000);
            SteadyLoad http = SteadyLoad.http("127.0.0.1", old.httpPort, "/info", 2, Duration.ofMillis(5),
                    Duration.ofSeconds(120), 20_000);
            AdminProbes probes = new AdminProbes(old.adminPort);
            await().atMost(Duration.ofSeconds(60)).until(() -> line.probes() > 200 && http.probes() > 200);

            try (ForklineProcess successor = ForklineProcess.startExactly(List.of(), next,
                    samePorts(old, Map.of("FORKLINE_WORKERS", "2")), List.of("takeover"))) {
                successor.await(event("takeover_found").with("predecessor", old.pid()));
                assertThat(old.awaitExit(Duration.ofSeconds(90))).as("the old supervisor's exit code").isZero();
                long oldGone = System.nanoTime();
                successor.await(event("takeover_completed").with("predecessor", old.pid()));
                successor.await(event("admin_listening").with("port", old.adminPort));
                Set<Long> newWorkers = successor.workerPids();

                long after = line.probes() + 300;
                long httpAfter = http.probes() + 300;
                await().atMost(Duration.ofSeconds(60)).until(() -> line.probes() > after && http.probes() > httpAfter);
                SteadyLoad.Result lineResult = line.stop();
                SteadyLoad.Result httpResult = http.stop();
                probes.stop();
                System.out.println("takeover under load, line protocol: " + lineResult);
                System.out.println("takeover under load, HTTP: " + httpResult);
                System.out.println("admin /readyz during the takeover: " + probes.counts);

                // The new version's workers: children of the new supervisor, running the new jar.
                assertThat(newWorkers).hasSize(2).doesNotContainAnyElementsOf(oldWorkers);
                for (long pid : newWorkers) {
                    assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                            .hasValue(successor.pid());
                    assertThat(cmdline(pid)).contains(next.toString());
                }
                assertThat(lineResult.perPid().keySet()).as("both versions served the line protocol")
                        .containsAll(newWorkers).containsAnyElementsOf(oldWorkers);
                assertThat(httpResult.perPid().keySet()).as("the new version served HTTP").containsAll(newWorkers);
                assertThat(http.answersSince(oldGone)).as("HTTP answers after the old supervisor exited")
                        .isNotEmpty().allSatisfy(a -> assertThat(newWorkers).contains(pidOf(a)));
                for (int i = 0; i < 20; i++) {
                    try (LineClient c = LineClient.connect("127.0.0.1", old.port, Duration.ofSeconds(5))) {
                        assertThat(newWorkers).contains(c.serverPid());
                    }
                }

                assertThat(lineResult.failedRequests()).as("%s", lineResult.firstFailures()).isZero();
                assertThat(httpResult.failedRequests()).as("%s", httpResult.firstFailures()).isZero();
                if (ReloadIT.migrateReq()) {
                    assertThat(lineResult.failedConnections()).as("%s", lineResult.firstFailures()).isZero();
                    assertThat(httpResult.failedConnections()).as("%s", httpResult.firstFailures()).isZero();
                } else {
                    // Connections queued on the old workers' listeners are reset when they close (ReloadIT).
                    System.out.println("net.ipv4.tcp_migrate_req=0 on this host: " + lineResult.failedConnections()
                            + " + " + httpResult.failedConnections() + " connections reset by the kernel");
                    assertThat(lineResult.firstFailures()).allMatch(f -> f.contains("Connection reset"));
                }

                // The old supervisor stopped on the successor's request and handed its admin port over:
                // the admin API (same port) is the new supervisor's, and it is ready.
                assertThat(old.events(event("admin_handed_over").with("successor", successor.pid()))).hasSize(1);
                assertThat(old.events(event("stop_started").withContaining("trigger", "supervisor pid " + successor.pid())))
                        .hasSize(1);
                assertThat(pidOf(successor.admin("GET", "/status").body())).isEqualTo(successor.pid());
                assertThat(successor.admin("GET", "/readyz").status()).isEqualTo(200);
                LogEvent released = old.events(event("admin_handed_over")).get(0);
                LogEvent bound = successor.events(event("admin_listening")).get(0);
                System.out.println("admin port released at " + released.time() + ", bound by the successor at " + bound.time());

                successor.signal("TERM");
                assertThat(successor.awaitExit(Duration.ofSeconds(60))).isZero();
            }
        }
    }

    /**
     * An application's ports are known only once it runs: with the admin API off nothing is checked
     * before start, and the successor finds the Forkline to take over on the application's port
     * when its workers are ready, then sends it SIGTERM (no admin API to ask).
     */
    @Test
    void aNewApplicationVersionTakesOverItsPortsAndAnswersAfterwards(@TempDir Path dir) throws Exception {
        Path v1 = TestApps.example(dir, "kv-1.jar", "1.0.0");
        Path v2 = TestApps.example(dir, "kv-2.jar", "2.0.0");
        int appPort = FreePorts.next();
        Path config = TestApps.config(dir, "kv.json", new JsonObject().put("port", appPort).put("host", "127.0.0.1"));
        try (ForklineProcess old = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2", "FORKLINE_ADMIN_PORT", "0",
                "FORKLINE_APP", v1.toString(), "FORKLINE_APP_CONFIG", config.toString()))) {
            old.awaitAllReady();
            SteadyLoad load = SteadyLoad.http("127.0.0.1", appPort, "/", 3, Duration.ofMillis(5),
                    Duration.ofSeconds(120), 20_000);
            await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > 200);
            try (ForklineProcess successor = ForklineProcess.startExactly(samePorts(old, Map.of("FORKLINE_WORKERS", "2",
                    "FORKLINE_APP", v2.toString(), "FORKLINE_APP_CONFIG", config.toString())), List.of("takeover"))) {
                successor.await(event("takeover_pending"));
                successor.await(event("takeover_found").with("predecessor", old.pid()));
                successor.await(event("takeover_retiring").with("via", "SIGTERM"));
                assertThat(old.awaitExit(Duration.ofSeconds(90))).isZero();
                long oldGone = System.nanoTime();
                successor.await(event("takeover_completed").with("predecessor", old.pid()));
                long after = load.probes() + 300;
                await().atMost(Duration.ofSeconds(60)).until(() -> load.probes() > after);
                SteadyLoad.Result result = load.stop();
                System.out.println("application takeover under load: " + result);
                assertThat(load.answers()).anyMatch(a -> a.startsWith("forkline example kv 1.0.0"));
                assertThat(load.answersSince(oldGone)).isNotEmpty()
                        .allMatch(a -> a.startsWith("forkline example kv 2.0.0"));
                assertThat(result.failedRequests()).as("%s", result.firstFailures()).isZero();
                if (ReloadIT.migrateReq()) {
                    assertThat(result.failedConnections()).as("%s", result.firstFailures()).isZero();
                }
            }
        }
    }

    /**
     * When the old supervisor's admin API will not take the stop request (here: another token), it
     * gets SIGTERM, and the successor binds the admin port once the old one has exited.
     */
    @Test
    void anOldSupervisorThatRefusesTheStopRequestIsSentSigterm() throws Exception {
        try (ForklineProcess old = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1",
                "FORKLINE_ADMIN_TOKEN", "old-token-0123456789"))) {
            old.awaitAllReady();
            try (ForklineProcess successor = ForklineProcess.startExactly(samePorts(old, Map.of("FORKLINE_WORKERS", "1",
                    "FORKLINE_ADMIN_TOKEN", "new-token-0123456789")), List.of("takeover"))) {
                assertThat(successor.await(event("takeover_admin_refused").level("WARN")).string("reason"))
                        .startsWith("HTTP 401");
                successor.await(event("takeover_retiring").with("via", "SIGTERM"));
                assertThat(old.awaitExit(Duration.ofSeconds(60))).isZero();
                assertThat(old.events(event("admin_handed_over"))).isEmpty();
                successor.await(event("admin_listening").with("port", old.adminPort));
                assertThat(successor.admin("GET", "/status", "Authorization", "Bearer new-token-0123456789").status())
                        .isEqualTo(200);
                successor.signal("TERM");
                assertThat(successor.awaitExit(Duration.ofSeconds(60))).isZero();
            }
        }
    }

    /**
     * README: a new version that cannot boot halts (exit 4) before the old supervisor is told
     * anything, and the old one keeps serving: here the successor's application throws in start().
     */
    @Test
    void aSuccessorThatCannotBootHaltsAndTheOldOneKeepsServingUntouched(@TempDir Path dir) throws Exception {
        Path broken = TestApps.jar(dir, "broken.jar", dev.forkline.supervisor.apps.ThrowingVerticle.class);
        try (ForklineProcess old = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "2"))) {
            Set<Long> oldWorkers = new HashSet<>(old.awaitAllReady().values());
            SteadyLoad line = SteadyLoad.start("127.0.0.1", old.port, 2, Duration.ofMillis(5),
                    Duration.ofSeconds(120), 20_000);
            await().atMost(Duration.ofSeconds(60)).until(() -> line.probes() > 100);

            try (ForklineProcess successor = ForklineProcess.startExactly(samePorts(old, Map.of("FORKLINE_WORKERS", "2",
                    "FORKLINE_APP", broken.toString())), List.of("takeover"))) {
                assertThat(successor.awaitExit(Duration.ofSeconds(90))).as("the successor's exit code").isEqualTo(4);
                assertThat(successor.events(event("takeover_retiring"))).as("the old one was never told").isEmpty();
            }
            long after = line.probes() + 200;
            await().atMost(Duration.ofSeconds(60)).until(() -> line.probes() > after);
            SteadyLoad.Result result = line.stop();
            System.out.println("a successor that cannot boot, under load: " + result);

            assertThat(ProcessHandle.of(old.pid()).map(ProcessHandle::isAlive)).contains(true);
            assertThat(old.events(event("admin_handed_over"))).isEmpty();
            assertThat(old.events(event("stop_started"))).isEmpty();
            assertThat(old.workerPids()).isEqualTo(oldWorkers);
            assertThat(old.admin("GET", "/readyz").status()).isEqualTo(200);
            assertThat(line.pidsSeen()).isSubsetOf(oldWorkers);
            assertThat(result.failedRequests()).as("%s", result.firstFailures()).isZero();
            old.signal("TERM");
            assertThat(old.awaitExit(Duration.ofSeconds(60))).isZero();
        }
    }

    /** Runs {@code forkline takeover [args]} to its end (a refusal) with these settings. */
    private static ForklineProcess refusedTakeover(Map<String, String> settings, String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("takeover"));
        all.addAll(List.of(args));
        ForklineProcess p = ForklineProcess.startExactly(settings, all);
        assertThat(p.awaitExit(Duration.ofSeconds(60))).as("exit code").isEqualTo(2);
        assertThat(p.events(e -> e.level().equals("ERROR"))).as("one line").singleElement()
                .satisfies(e -> assertThat(e.event()).isEqualTo("takeover_refused"));
        assertThat(p.spawnedPids()).as("nothing started").isEmpty();
        return p;
    }

    private static String refusal(ForklineProcess p) {
        return p.events(event("takeover_refused")).get(0).message();
    }

    @Test
    void aPortHeldByAProgramThatIsNotForklineIsRefused() throws Exception {
        try (ServerSocket other = new ServerSocket()) {
            other.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            Map<String, String> env = Map.of("FORKLINE_HOST", "127.0.0.1",
                    "FORKLINE_PORT", Integer.toString(other.getLocalPort()),
                    "FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next()),
                    "FORKLINE_ADMIN_PORT", Integer.toString(FreePorts.next()), "FORKLINE_LOG_FORMAT", "json");
            try (ForklineProcess p = refusedTakeover(env)) {
                assertThat(refusal(p)).isEqualTo("forkline takeover refused: 127.0.0.1:" + other.getLocalPort()
                        + " (FORKLINE_PORT) is held by pid " + ProcessHandle.current().pid() + " ("
                        + PortOwner.command(ProcessHandle.current().pid()) + "), which is not a Forkline supervisor or"
                        + " worker: takeover joins only a running Forkline's ports");
            }
        }
    }

    @Test
    void aForklineOfAnotherUserIsRefused() throws Exception {
        Assumptions.assumeTrue(PortOwner.ownUid() == 0, "only root can start a Forkline as another user (CI runs as root)");
        Map<String, String> env = new LinkedHashMap<>(Map.of("FORKLINE_HOST", "127.0.0.1",
                "FORKLINE_PORT", Integer.toString(FreePorts.next()), "FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next()),
                "FORKLINE_ADMIN_PORT", Integer.toString(FreePorts.next()), "FORKLINE_LOG_FORMAT", "json",
                "FORKLINE_WORKERS", "1"));
        // 65534 is "nobody" on Debian and most distributions; the jar and the JDK are world-readable.
        try (ForklineProcess nobody = ForklineProcess.startExactly(
                List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                ForklineProcess.jar(), env, List.of())) {
            nobody.awaitAllReady();
            try (ForklineProcess p = refusedTakeover(env)) {
                assertThat(refusal(p)).startsWith("forkline takeover refused: 127.0.0.1:" + env.get("FORKLINE_PORT")
                        + " (FORKLINE_PORT) is held by pid ").contains(" of uid 65534, and this supervisor runs as uid 0:"
                        + " the kernel shares a port (SO_REUSEPORT) only between one user's sockets; run the takeover as uid 65534");
            }
            assertThat(nobody.process.isAlive()).as("the other user's Forkline keeps running").isTrue();
        }
    }

    @Test
    void aWrongPidOrArgumentIsRefusedAndTheRunningForklineIsUntouched() throws Exception {
        try (ForklineProcess old = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1"))) {
            Set<Long> workers = new HashSet<>(old.awaitAllReady().values());
            long notIt = ProcessHandle.current().pid();
            try (ForklineProcess p = refusedTakeover(samePorts(old, Map.of()), Long.toString(notIt))) {
                assertThat(refusal(p)).isEqualTo("forkline takeover " + notIt + " refused: 127.0.0.1:" + old.port
                        + " (FORKLINE_PORT) is held by Forkline supervisor pid " + old.pid() + ", not by pid " + notIt);
            }
            ForklineProcess.CommandResult garbage = ForklineProcess.command(samePorts(old, Map.of()), "takeover", "old");
            assertThat(garbage.exitCode()).isEqualTo(2);
            assertThat(garbage.stderr()).startsWith("forkline takeover: expected at most one argument, the pid of the"
                    + " supervisor to take over, not \"old\"");
            // The successor's stop request is checked too.
            assertThat(old.admin("POST", "/stop?successor=abc").status()).isEqualTo(400);
            assertThat(old.workerPids()).isEqualTo(workers);
            assertThat(old.admin("GET", "/readyz").status()).isEqualTo(200);
        }
    }

    @Test
    void aPidThatIsNotAForklineSupervisorIsRefused() throws Exception {
        Map<String, String> free = Map.of("FORKLINE_HOST", "127.0.0.1",
                "FORKLINE_PORT", Integer.toString(FreePorts.next()), "FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next()),
                "FORKLINE_ADMIN_PORT", Integer.toString(FreePorts.next()), "FORKLINE_LOG_FORMAT", "json");
        long notIt = ProcessHandle.current().pid();
        try (ForklineProcess p = refusedTakeover(free, Long.toString(notIt))) {
            assertThat(refusal(p)).isEqualTo("forkline takeover " + notIt + " refused: pid " + notIt + " ("
                    + PortOwner.command(notIt) + ") is not a Forkline supervisor (none of its children is a Forkline worker)");
        }
    }

    @Test
    void withNothingToTakeOverItStartsAsRunDoes() throws Exception {
        Map<String, String> free = Map.of("FORKLINE_HOST", "127.0.0.1",
                "FORKLINE_PORT", Integer.toString(FreePorts.next()), "FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next()),
                "FORKLINE_ADMIN_PORT", Integer.toString(FreePorts.next()), "FORKLINE_LOG_FORMAT", "json",
                "FORKLINE_WORKERS", "1");
        try (ForklineProcess p = ForklineProcess.startExactly(free, List.of("takeover"))) {
            assertThat(p.await(event("takeover_nothing").level("WARN")).message())
                    .contains("nothing to take over: starting as forkline run does");
            Set<Long> workers = new HashSet<>(p.awaitAllReady().values());
            try (LineClient c = LineClient.connect("127.0.0.1", p.port, Duration.ofSeconds(5))) {
                assertThat(workers).contains(c.serverPid());
            }
            assertThat(p.admin("GET", "/readyz").status()).isEqualTo(200);
            assertThat(p.events(event("takeover_retiring"))).isEmpty();
            p.signal("TERM");
            assertThat(p.awaitExit(Duration.ofSeconds(60))).isZero();
        }
    }

    /**
     * Polls the admin port's {@code /readyz} every 5 ms (bounded) and counts what it sees: what a
     * probe sees while the admin port changes hands.
     */
    private static final class AdminProbes {
        final Map<String, Integer> counts = new ConcurrentHashMap<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;

        AdminProbes(int port) {
            thread = new Thread(() -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                for (int i = 0; i < 20_000 && !stop.get() && System.nanoTime() - deadline < 0; i++) {
                    String seen;
                    try (java.net.Socket s = new java.net.Socket()) {
                        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
                        s.setSoTimeout(5000);
                        s.getOutputStream().write(("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        String response = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
                        seen = response.length() >= 12 ? response.substring(9, 12) : "no answer";
                    } catch (java.net.ConnectException e) {
                        seen = "refused";
                    } catch (java.io.IOException e) {
                        seen = e.getClass().getSimpleName();
                    }
                    counts.merge(seen, 1, Integer::sum);
                    java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // pacing, not waiting for anything
                }
            }, "admin-probes");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
        }
    }
}
