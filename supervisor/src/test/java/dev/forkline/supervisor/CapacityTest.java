package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CapacityTest {

    @Test
    void warnsWhenAWorkerCannotOpenAFileForEachOfItsConnections() {
        assertThat(Capacity.openFiles(8, 15_000, 20_000, 2_000_000)).isEmpty();
        assertThat(Capacity.openFiles(8, 19_950, 20_000, 2_000_000)).get().asString()
                .contains("FORKLINE_MAX_CONNECTIONS=19950").contains("the limit is 20000").contains("LimitNOFILE")
                .contains("at most 19872");
    }

    @Test
    void warnsWhenAllWorkersTogetherPassTheSystemLimit() {
        assertThat(Capacity.openFiles(8, 15_000, 20_000, 100_000)).get().asString()
                .contains("FORKLINE_WORKERS=8").contains("fs.file-max=100000");
    }

    @Test
    void unknownLimitsAreNotChecked() {
        assertThat(Capacity.openFiles(8, 1_000_000, -1, -1)).isEmpty();
        assertThat(Capacity.backlog(1 << 20, -1, -1)).isEmpty();
        assertThat(Capacity.heap(1_000_000, OptionalLong.empty())).isEmpty();
    }

    @Test
    void warnsWhenTheKernelWouldCapTheBacklog() {
        assertThat(Capacity.backlog(4096, 4096, 4096)).isEmpty();
        assertThat(Capacity.backlog(65535, 4096, 2048)).get().asString()
                .contains("FORKLINE_BACKLOG=65535").contains("net.core.somaxconn=4096")
                .contains("net.ipv4.tcp_max_syn_backlog=2048").contains("sysctl -w net.core.somaxconn=65535");
        assertThat(Capacity.backlog(3000, 4096, 2048)).get().asString()
                .doesNotContain("somaxconn=4096 caps").contains("tcp_max_syn_backlog=2048");
    }

    @Test
    void warnsWhenTheWorkerHeapCannotHoldItsConnections() {
        OptionalLong heap128m = Capacity.maxHeap(List.of("-Xms16m", "-Xmx128m"));
        assertThat(heap128m).hasValue(128L << 20);
        assertThat(Capacity.heap(10_000, heap128m)).isEmpty();
        assertThat(Capacity.heap(100_000, heap128m)).get().asString()
                .contains("FORKLINE_MAX_CONNECTIONS=100000").contains("-Xmx128m").contains("at most 49152");
    }

    @Test
    void theLastXmxWins() {
        assertThat(Capacity.maxHeap(List.of("-Xmx128m", "-Xmx1g"))).hasValue(1L << 30);
        assertThat(Capacity.maxHeap(List.of("-Xmx512k"))).hasValue(512L << 10);
        assertThat(Capacity.maxHeap(List.of("-Xms16m"))).isEmpty();
    }

    @Test
    void readsAProcFileToItsEndWhereFilesReadStringStopsAfterOneByte() throws Exception {
        String pidMax = Capacity.readProc(java.nio.file.Path.of("/proc/sys/kernel/pid_max")).strip();
        assertThat(Long.parseLong(pidMax)).isGreaterThan(9); // one byte would be a single digit
        assertThat(Capacity.readProc(java.nio.file.Path.of("/proc/self/limits"))).contains("Max open files");
        assertThat(Capacity.openFileLimit()).isPresent();
    }
}
