package dev.forkline.it;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.FreePorts;
import dev.forkline.testkit.LogEvent;
import dev.forkline.testkit.SteadyLoad;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.testcontainers.images.builder.ImageFromDockerfile;
import tools.jackson.databind.json.JsonMapper;

/**
 * deploy/stack.yaml on a real (one-node) Docker Swarm: three Forkline replicas behind the haproxy of
 * deploy/haproxy, deployed with {@code docker stack deploy}, then rolled to a new image version with
 * {@code docker stack deploy} again, under two steady loads through the proxy's ports on 127.0.0.1:
 * line-protocol clients that open a connection per exchange, and HTTP/1.1 keep-alive clients that keep
 * theirs (as client pools do), so that each is open on an old replica when it drains and must move by
 * the drain's {@code Connection: close}: no failed connection, no failed request, in either; every
 * replica serves before and every new replica serves after; every old replica exits 0. The test creates the swarm when the engine has none, and leaves
 * it again then (only then, and only when no other stack runs on it).
 */
@DockerTest
class SwarmRollingUpdateIT {
    private static final int REPLICAS = 3;
    private static final int KEEP_ALIVE_CLIENTS = 4;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SUFFIX = Integer.toHexString(ForklineImage.ROOT.toString().hashCode());

    @Test
    void rollsThreeReplicasToANewImageUnderLoadWithoutAFailedConnectionOrRequest() throws Exception {
        String v1 = ForklineImage.name();
        // A new version: a different image (its own ID), as a release would be.
        String v2 = new ImageFromDockerfile(v1 + "-v2", false)
                .withDockerfileFromBuilder(b -> b.from(v1).label("dev.forkline.it.release", "2").build())
                .get();
        String proxy = new ImageFromDockerfile("forkline-it-haproxy:" + SUFFIX, false)
                .withFileFromPath("Dockerfile", ForklineImage.ROOT.resolve("deploy/haproxy/Dockerfile"))
                .withFileFromPath("haproxy.cfg", ForklineImage.ROOT.resolve("deploy/haproxy/haproxy.cfg"))
                .withBuildArg("BASE_IMAGE", ForklineImage.baseImage())
                .get();

        // A new swarm also creates the docker_gwbridge network, which leaving it does not remove.
        boolean hadGatewayBridge = !DockerCli.lines("network", "ls", "-q", "--filter", "name=^docker_gwbridge$").isEmpty();
        boolean createdSwarm = joinOrCreateSwarm();
        String stack = "forkline-it-" + SUFFIX;
        String service = stack + "_forkline";
        int port = FreePorts.next();
        int httpPort = FreePorts.next();
        Map<String, String> env = new TreeMap<>(Map.of(
                "FORKLINE_IMAGE", v1,
                "FORKLINE_PROXY_IMAGE", proxy,
                "FORKLINE_REPLICAS", Integer.toString(REPLICAS),
                "FORKLINE_PUBLISHED_PORT", Integer.toString(port),
                "FORKLINE_PUBLISHED_HTTP_PORT", Integer.toString(httpPort),
                "FORKLINE_LOG_FORMAT", "json")); // the stack's own variable: events the test reads
        SteadyLoad load = null;
        SteadyLoad keepAlive = null;
        try {
            removeStack(stack); // what an interrupted earlier run may have left
            deploy(stack, env);
            await("the stack's services converge").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> DockerCli.lines("service", "ls", "--filter", "label=com.docker.stack.namespace=" + stack,
                            "--format", "{{.Name}} {{.Replicas}}").stream().sorted().toList()
                            .equals(List.of(service + " " + REPLICAS + "/" + REPLICAS, stack + "_proxy 1/1")));
            List<String> old = containers(service, v1);
            assertThat(old).hasSize(REPLICAS);
            // The proxy finds every replica through DNS: probe until each one has answered.
            await("every replica answers through the proxy").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        probe(port, 20);
                        return old.stream().allMatch(c -> lineRequests(c) > 0);
                    });

            await("the proxy's HTTP port answers").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500))
                    .until(() -> httpAnswers(httpPort));

            load = SteadyLoad.start("127.0.0.1", port, 4, Duration.ofMillis(10), Duration.ofMinutes(5), 30_000);
            keepAlive = SteadyLoad.httpKeepAlive("127.0.0.1", httpPort, "/", KEEP_ALIVE_CLIENTS, Duration.ofMillis(20),
                    Duration.ofMinutes(5), 15_000);
            assertEveryReplicaServes(load, old, "before the update (image " + v1 + ")");
            SteadyLoad keptLoad = keepAlive;
            await("every keep-alive client has its connection").atMost(Duration.ofMinutes(1))
                    .until(() -> keptLoad.probes() > 10L * KEEP_ALIVE_CLIENTS);
            assertThat(keepAlive.keptConnectionsOpened()).as("keep-alive connections before the update")
                    .isEqualTo(KEEP_ALIVE_CLIENTS);

            env.put("FORKLINE_IMAGE", v2);
            long probesAtRoll = load.probes();
            long keptProbesAtRoll = keepAlive.probes();
            long rollStart = System.nanoTime();
            deploy(stack, env);
            await("the rolling update completes").atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        String state = DockerCli.ok("service", "inspect", "--format",
                                "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}", service);
                        assertThat(state).as("update state").isNotIn("paused", "rollback_started", "rollback_completed");
                        return state.equals("completed") && containers(service, v2).size() == REPLICAS
                                && containers(service, v1).isEmpty();
                    });
            long rollMillis = Duration.ofNanos(System.nanoTime() - rollStart).toMillis();
            long probesDuringRoll = load.probes() - probesAtRoll;
            long keptProbesDuringRoll = keepAlive.probes() - keptProbesAtRoll;
            List<String> fresh = containers(service, v2);
            assertEveryReplicaServes(load, fresh, "after the update (image " + v2 + ")");
            SteadyLoad.Result result = load.stop();
            long keptOpened = keepAlive.keptConnectionsOpened();
            long closesAnnounced = keepAlive.closesAnnounced();
            SteadyLoad.Result kept = keepAlive.stop();

            System.out.printf("rolling update of %d replicas to a new image: %d ms, %d probes during it; %s%n",
                    REPLICAS, rollMillis, probesDuringRoll, result.toString().replaceAll("; per worker PID.*", ""));
            System.out.printf("HTTP keep-alive through the proxy: %d requests during the update, %d connections"
                            + " opened by %d clients, %d answers with Connection: close; %s%n", keptProbesDuringRoll,
                    keptOpened, KEEP_ALIVE_CLIENTS, closesAnnounced, kept.toString().replaceAll("; per worker PID.*", ""));
            assertThat(probesDuringRoll).as("the load ran through the update").isGreaterThan(100);
            assertThat(keptProbesDuringRoll).as("the keep-alive load ran through the update").isGreaterThan(100);
            assertThat(result.failedConnections()).as("failed connections: %s", result.firstFailures()).isZero();
            assertThat(result.failedRequests()).as("failed requests: %s", result.firstFailures()).isZero();
            assertThat(kept.failedConnections()).as("failed keep-alive connections: %s", kept.firstFailures()).isZero();
            assertThat(kept.failedRequests()).as("failed keep-alive requests: %s", kept.firstFailures()).isZero();
            // Every client's first connection was to an old replica, which is gone: each one ended with
            // the drain's Connection: close (an unannounced close would have failed the next request).
            assertThat(closesAnnounced).as("answers with Connection: close").isGreaterThanOrEqualTo(KEEP_ALIVE_CLIENTS);
            assertThat(keptOpened).as("keep-alive connections opened").isGreaterThan(KEEP_ALIVE_CLIENTS);
            // Every replacement drained and stopped in order: its supervisor exited 0, and every
            // worker exited by itself (exit 0 alone would also follow a SIGKILL at Docker's deadline).
            for (String c : old) {
                assertThat(DockerCli.ok("inspect", "--format", "{{.State.ExitCode}}", c)).as("exit code of old replica " + c)
                        .isEqualTo("0");
                DockerCli.Result logs = DockerCli.run("logs", c); // Forkline logs on stderr
                List<LogEvent> events = LogEvent.parseAll(logs.stdout() + logs.stderr());
                assertThat(events).as("log of old replica " + c)
                        .anyMatch(event("stop_started").with("trigger", "SIGTERM"))
                        .anyMatch(event("stop_summary").with("killed", List.of()).with("exit_code", 0));
            }
        } catch (AssertionError | RuntimeException e) {
            System.out.println(DockerCli.run("service", "ps", "--no-trunc", service).stdout());
            System.out.println(DockerCli.run("service", "logs", "--raw", "--tail", "40", stack + "_proxy").stderr());
            throw e;
        } finally {
            if (load != null) {
                load.stop();
            }
            if (keepAlive != null) {
                keepAlive.stop();
            }
            removeStack(stack);
            if (createdSwarm && DockerCli.lines("stack", "ls", "--format", "{{.Name}}").isEmpty()) {
                DockerCli.ok("swarm", "leave", "--force");
                if (!hadGatewayBridge) {
                    DockerCli.run("network", "rm", "docker_gwbridge");
                }
            }
        }
    }

    /** Each of {@code replicas} serves part of the load: its own count of line requests grows. */
    private static void assertEveryReplicaServes(SteadyLoad load, List<String> replicas, String when) {
        Map<String, Long> before = new TreeMap<>();
        replicas.forEach(c -> before.put(c, lineRequests(c)));
        long target = load.probes() + 200;
        await().atMost(Duration.ofMinutes(1)).until(() -> load.probes() > target);
        // Counters reach the admin API with each worker's heartbeat (every second).
        await("every replica serves " + when).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> replicas.stream().allMatch(c -> lineRequests(c) > before.get(c)));
        Map<String, Long> served = new TreeMap<>();
        replicas.forEach(c -> served.put(c.substring(0, 12), lineRequests(c) - before.get(c)));
        System.out.println("line requests per replica " + when + ": " + served);
    }

    /** The line protocol requests one replica has answered, from its admin API (on its loopback). */
    private static long lineRequests(String container) {
        String http = DockerCli.ok("exec", container, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090"
                + " && printf 'GET /status HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && cat <&3");
        String body = http.substring(http.indexOf("\r\n\r\n") + 4);
        return JSON.readTree(body).path("totals").path("requests").asLong();
    }

    /** Running containers of {@code service} made from {@code image}. */
    private static List<String> containers(String service, String image) {
        List<String> ids = new ArrayList<>();
        for (String line : DockerCli.lines("ps", "--no-trunc", "--filter", "label=com.docker.swarm.service.name=" + service,
                "--format", "{{.ID}} {{.Image}}")) {
            String[] f = line.split(" ");
            if (f[1].equals(image)) {
                ids.add(f[0]);
            }
        }
        return ids;
    }

    /** GET / through the proxy's HTTP port answers 200 (some replica is up in its HTTP backend). */
    private static boolean httpAnswers(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII)
                    .startsWith("HTTP/1.1 200 ");
        } catch (IOException e) {
            return false; // the proxy has no replica up in its HTTP backend yet: the caller polls again
        }
    }

    private static void probe(int port, int times) {
        for (int i = 0; i < times; i++) {
            try (LineClient c = LineClient.connect("127.0.0.1", port, Duration.ofSeconds(2))) {
                c.send("PING");
            } catch (IOException e) {
                return; // the proxy is not ready yet: the caller polls again
            }
        }
    }

    private static void deploy(String stack, Map<String, String> env) {
        DockerCli.ok(env, "stack", "deploy", "--resolve-image", "never", "--prune",
                "-c", ForklineImage.ROOT.resolve("deploy/stack.yaml").toString(), stack);
    }

    /** A manager of a swarm for this engine: the one it is in, or a new one-node swarm on loopback. */
    private static boolean joinOrCreateSwarm() throws IOException {
        String state = DockerCli.ok("info", "--format", "{{.Swarm.LocalNodeState}}");
        if (state.equals("active")) {
            assertThat(DockerCli.ok("info", "--format", "{{.Swarm.ControlAvailable}}"))
                    .as("this engine is in a swarm but not a manager: it cannot deploy a stack").isEqualTo("true");
            return false;
        }
        DockerCli.ok("swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", "127.0.0.1:" + FreePorts.next());
        return true;
    }

    private static void removeStack(String stack) {
        DockerCli.run("stack", "rm", stack);
        // Stack removal is asynchronous: wait for its containers and its network to go.
        await("stack " + stack + " removed").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(1))
                .until(() -> DockerCli.lines("ps", "-a", "-q", "--filter", "label=com.docker.stack.namespace=" + stack).isEmpty()
                        && DockerCli.lines("network", "ls", "-q", "--filter", "label=com.docker.stack.namespace=" + stack).isEmpty());
    }
}
