package dev.forkline.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.protocol.LineClient;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;

/**
 * FORKLINE_WORKERS=auto (the default) under {@code docker run --cpus=N}: the supervisor's JVM reads
 * the container's CPU quota from its cgroup, and starts that many workers. The count is read from
 * inside the container through the operator's own tool ({@code forkline status}, the admin API) and
 * confirmed on the protocol (that many distinct worker PIDs greet).
 */
@DockerTest
class CpuLimitIT {
    private static final Pattern STATUS = Pattern.compile("(\\d+)/(\\d+) workers ready");

    @ParameterizedTest(name = "--cpus={0}")
    @ValueSource(ints = {1, 2})
    void autoStartsOneWorkerPerCpuOfTheContainersLimit(int cpus) throws Exception {
        try (GenericContainer<?> forkline = ForklineImage.container(Map.of())
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withNanoCPUs(cpus * 1_000_000_000L))) {
            forkline.start();

            // What the JVM itself reports in this container (docs/SCALING.md quotes it).
            Container.ExecResult jvm = forkline.execInContainer("java", "-XshowSettings:system", "-version");
            String report = jvm.getStderr() + jvm.getStdout();
            System.out.println("--cpus=" + cpus + ": " + report.lines()
                    .filter(l -> l.matches("\\s*(Provider|Effective CPU Count|CPU Period|CPU Quota):.*"))
                    .map(String::strip).toList());
            assertThat(report).contains("Effective CPU Count: " + cpus);

            Container.ExecResult status = forkline.execInContainer("java", "-jar", "/opt/forkline/forkline.jar", "status");
            assertThat(status.getExitCode()).as(status.getStderr()).isZero();
            Matcher m = STATUS.matcher(status.getStdout());
            assertThat(m.find()).as(status.getStdout()).isTrue();
            assertThat(m.group(2)).as("workers desired under --cpus=%d: %s", cpus, status.getStdout())
                    .isEqualTo(Integer.toString(cpus));
            assertThat(m.group(1)).isEqualTo(m.group(2));
            assertThat(forkline.getLogs()).contains("forkline starting " + cpus + " workers");

            // 1 - 2^-59 that 60 connections over 2 workers reach both.
            Set<Long> pids = new HashSet<>();
            int port = forkline.getMappedPort(ForklineImage.PORT);
            for (int i = 0; i < 60; i++) {
                try (LineClient c = LineClient.connect("127.0.0.1", port)) {
                    pids.add(c.serverPid());
                }
            }
            assertThat(pids).hasSize(cpus);
        }
    }
}
