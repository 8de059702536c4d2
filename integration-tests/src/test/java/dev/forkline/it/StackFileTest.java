package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/stack.yaml and its proxy's haproxy.cfg agree with the code and with each other (no Docker
 * needed; SwarmRollingUpdateIT deploys them for real), and each kind of drift is reported with the
 * field that drifted.
 */
class StackFileTest {
    private static String stack;
    private static String haproxy;
    private static DockerfileFacts dockerfile;

    @BeforeAll
    static void read() throws IOException {
        stack = Files.readString(ForklineImage.ROOT.resolve("deploy/stack.yaml"));
        haproxy = Files.readString(ForklineImage.ROOT.resolve("deploy/haproxy/haproxy.cfg"));
        dockerfile = DockerfileFacts.parse(Files.readString(ForklineImage.ROOT.resolve("deploy/Dockerfile")));
    }

    @Test
    void shippedStackAndProxyAgreeWithTheCode() {
        assertThat(StackFile.check(stack, haproxy, dockerfile)).isEmpty();
    }

    @Test
    void composeDurationsAndInterpolationReadAsDockerReadsThem() {
        assertThat(StackFile.composeDuration("1m30s")).hasSeconds(90);
        assertThat(StackFile.composeDuration("${GRACE:-500ms}")).hasMillis(500);
        assertThat(StackFile.composeDuration("15")).isNull();
        assertThat(StackFile.interpolate("${FORKLINE_IMAGE:-forkline:latest}")).isEqualTo("forkline:latest");
        assertThat(StackFile.interpolate("${FORKLINE_WORKER_JVM_OPTS:-}")).isEmpty();
    }

    static Stream<Arguments> drifts() {
        return Stream.of(
                Arguments.of("a renamed setting", false, "FORKLINE_LINE_TIMEOUT: ${FORKLINE_LINE_TIMEOUT:-30s}",
                        "FORKLINE_LINE_TIMEOUTS: ${FORKLINE_LINE_TIMEOUT:-30s}",
                        "stack.yaml: services.forkline.environment.FORKLINE_LINE_TIMEOUTS: not a Forkline setting"),
                Arguments.of("a setting left out", false, "      FORKLINE_MIN_UPTIME: ${FORKLINE_MIN_UPTIME:-5s}\n", "",
                        "stack.yaml: services.forkline.environment: FORKLINE_MIN_UPTIME is missing"),
                Arguments.of("a replica port the proxy does not send to", false, "FORKLINE_PORT: 3000", "FORKLINE_PORT: 3001",
                        "tasks.forkline:3000 is neither the replicas' FORKLINE_PORT=3001"),
                Arguments.of("a proxy backend on another port", true, "tasks.forkline:8080", "tasks.forkline:8081",
                        "tasks.forkline:8081 is neither"),
                Arguments.of("a health check on another port", true, "check port 8080", "check port 9090",
                        "check port 9090 is not the replicas' FORKLINE_HTTP_PORT=8080"),
                Arguments.of("a published port haproxy does not bind", false, "target: 8080", "target: 8088",
                        "stack.yaml: services.proxy.ports[target=8088] is no port haproxy.cfg binds"),
                Arguments.of("a grace period shorter than the shutdown", false, "stop_grace_period: 18s", "stop_grace_period: 10s",
                        "stack.yaml: services.forkline.stop_grace_period=10s must exceed FORKLINE_SHUTDOWN_TIMEOUT=15s"),
                Arguments.of("a health check script the image lacks", false, "[\"CMD\", \"/opt/forkline/healthcheck.sh\"]",
                        "[\"CMD\", \"/opt/forkline/health.sh\"]", "stack.yaml: services.forkline.healthcheck.test="),
                Arguments.of("an image the Dockerfile does not build", false, "${FORKLINE_IMAGE:-forkline:latest}",
                        "${FORKLINE_IMAGE:-forklift:latest}", "stack.yaml: services.forkline.image=${FORKLINE_IMAGE:-forklift:latest}"),
                Arguments.of("a virtual IP", false, "endpoint_mode: dnsrr\n      resources", "endpoint_mode: vip\n      resources",
                        "stack.yaml: services.forkline.deploy.endpoint_mode=vip must be dnsrr"),
                Arguments.of("an update that stops first", false, "parallelism: 1\n        order: start-first\n        failure_action",
                        "parallelism: 1\n        order: stop-first\n        failure_action",
                        "stack.yaml: services.forkline.deploy.update_config.order=stop-first must be start-first"),
                Arguments.of("a proxy that resolves another service", true, "tasks.forkline:3000", "tasks.forklift:3000",
                        "tasks.forklift is not a service of stack.yaml"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("drifts")
    void driftIsReportedWithTheFieldThatDrifted(String what, boolean inProxyConfig, String from, String to, String expected) {
        List<String> problems = inProxyConfig
                ? StackFile.check(stack, edit(haproxy, from, to), dockerfile)
                : StackFile.check(edit(stack, from, to), haproxy, dockerfile);
        System.out.println(what + " -> " + problems);
        String edited = inProxyConfig ? "haproxy.cfg" : "stack.yaml";
        assertThat(problems).as(what).anySatisfy(p -> assertThat(p).contains(edited).contains(expected));
    }

    private static String edit(String text, String from, String to) {
        int at = text.indexOf(from);
        assertThat(at).as("'%s' in the file", from).isNotNegative();
        assertThat(text.indexOf(from, at + 1)).as("'%s' only once", from).isNegative();
        return text.replace(from, to);
    }
}
