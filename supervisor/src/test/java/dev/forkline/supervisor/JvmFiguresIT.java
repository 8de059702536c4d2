package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

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
            forkline.awaitLog(Pattern.compile("MX beans looked up in \\d+ ms"), 0, Duration.ofSeconds(30));
            List<String> log = forkline.log();
            int booted = indexOf(log, Pattern.compile("\\] booted: main to boot"));
            int firstManagement = indexOf(log, Pattern.compile("class,load *\\] java\\.lang\\.management\\."));
            assertThat(booted).as("the worker's boot line").isNotNegative();
            assertThat(firstManagement).as("the MX beans were loaded").isNotNegative();
            assertThat(firstManagement).as("first management class loaded after the boot").isGreaterThan(booted);
        }
    }

    private static int indexOf(List<String> log, Pattern line) {
        for (int i = 0; i < log.size(); i++) {
            if (line.matcher(log.get(i)).find()) {
                return i;
            }
        }
        return -1;
    }
}
