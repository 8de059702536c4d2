package dev.forkline.it;

import static dev.forkline.testkit.LogEventMatcher.event;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.HostConfig;
import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.LogEvent;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;

/**
 * FORKLINE_WORKERS=auto (the default) under {@code docker run --cpus=N} or {@code --cpuset-cpus}: the
 * supervisor's JVM reads the container's CPU limit from its cgroup, and starts that many workers. The
 * count is read from inside the container through the operator's own tool ({@code forkline status},
 * the admin API) and confirmed on the protocol (that many distinct worker PIDs greet). A limit equal
 * to the host's CPU count (--cpus=2 on a 2-CPU host) would pass even if the limit were ignored: the
 * limits below it are the cases that show it is not.
 */
@DockerTest
class CpuLimitIT {
    private static final Pattern STATUS = Pattern.compile("(\\d+)/(\\d+) workers ready");

    static Stream<Arguments> limits() {
        return Stream.of(
                // docker run --cpus=X is a CFS quota of X periods (NanoCPUs); the JVM rounds it up.
                Arguments.of("--cpus=1", 1.0, (Consumer<HostConfig>) h -> h.withNanoCPUs(1_000_000_000L), 1),
                Arguments.of("--cpus=2", 2.0, (Consumer<HostConfig>) h -> h.withNanoCPUs(2_000_000_000L), 2),
                Arguments.of("--cpus=0.5", 0.5, (Consumer<HostConfig>) h -> h.withNanoCPUs(500_000_000L), 1),
                // The CPUs the container may run on (the cpuset cgroup), not a quota.
                Arguments.of("--cpuset-cpus=0", 1.0, (Consumer<HostConfig>) h -> h.withCpusetCpus("0"), 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("limits")
    void autoStartsOneWorkerPerCpuOfTheContainersLimit(String limit, double cpus, Consumer<HostConfig> hostConfig,
                                                       int workers) throws Exception {
        int host = Runtime.getRuntime().availableProcessors();
        assertThat(cpus).as("%s asks for more CPUs than this host has (%d)", limit, host).isLessThanOrEqualTo(host);
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of())
                .withCreateContainerCmdModifier(cmd -> hostConfig.accept(cmd.getHostConfig()))) {
            forkline.start();

            // What the JVM itself reports in this container (docs/SCALING.md quotes it).
            Container.ExecResult jvm = forkline.execInContainer("java", "-XshowSettings:system", "-version");
            String report = jvm.getStderr() + jvm.getStdout();
            System.out.println(limit + " on a host with " + host + " CPUs: " + report.lines()
                    .filter(l -> l.matches("\\s*(Provider|Effective CPU Count|CPU Period|CPU Quota|CPUs? .*):.*"))
                    .map(String::strip).toList());
            assertThat(report).contains("Effective CPU Count: " + workers);

            Container.ExecResult status = forkline.execInContainer("java", "-jar", "/opt/forkline/forkline.jar", "status");
            assertThat(status.getExitCode()).as(status.getStderr()).isZero();
            Matcher m = STATUS.matcher(status.getStdout());
            assertThat(m.find()).as(status.getStdout()).isTrue();
            int desired = Integer.parseInt(m.group(2));
            assertThat(desired).as("workers desired under %s: %s", limit, status.getStdout()).isEqualTo(workers);
            if (cpus < host) {
                // The case that tells a limit obeyed from a limit ignored: fewer workers than the host has.
                assertThat(desired).as("workers under %s on a host with %d CPUs", limit, host).isLessThan(host);
            }
            assertThat(m.group(1)).isEqualTo(m.group(2));
            assertThat(LogEvent.parseAll(forkline.getLogs())).anyMatch(event("starting").with("workers", workers));

            // 1 - 2^-59 that 60 connections over 2 workers reach both.
            Set<Long> pids = new HashSet<>();
            int port = forkline.getMappedPort(ForklineImage.PORT);
            for (int i = 0; i < 60; i++) {
                try (LineClient c = LineClient.connect("127.0.0.1", port)) {
                    pids.add(c.serverPid());
                }
            }
            assertThat(pids).hasSize(workers);
        }
    }
}
