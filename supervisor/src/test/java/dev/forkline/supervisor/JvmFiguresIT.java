package dev.forkline.supervisor;

import static dev.forkline.testkit.LogEventMatcher.workerSays;
import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.LogEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The worker JVM's own figures stay off its boot path. */
class JvmFiguresIT {

    @Test
    void theWorkerLoadsNoManagementClassesBeforeItIsReady() throws Exception {
        // The JVM logs each class it loads on the worker's stderr, in the order it loads them, and the
        // worker logs "booted:" just before it sends ready: one process, one stream, program order.
        try (ForklineProcess forkline = ForklineProcess.start(Map.of("FORKLINE_WORKERS", "1",
                "FORKLINE_LOG_LEVEL", "debug", "FORKLINE_WORKER_JVM_OPTS", "-Xlog:class+load=info:stderr"))) {
            forkline.awaitAllReady();
            forkline.await(workerSays("MX beans looked up in"), 0, Duration.ofSeconds(30));
            List<String> log = forkline.log();
            int booted = indexOf(log, l -> LogEvent.parse(l).filter(workerSays("booted: main to boot")).isPresent());
            // HotSpot's own lines are no events: matched as text.
            Pattern management = Pattern.compile("class,load *\\] java\\.lang\\.management\\.");
            int firstManagement = indexOf(log, l -> management.matcher(l).find());
            assertThat(booted).as("the worker's boot line").isNotNegative();
            assertThat(firstManagement).as("the MX beans were loaded").isNotNegative();
            assertThat(firstManagement).as("first management class loaded after the boot").isGreaterThan(booted);
        }
    }

    private static int indexOf(List<String> log, java.util.function.Predicate<String> line) {
        for (int i = 0; i < log.size(); i++) {
            if (line.test(log.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
