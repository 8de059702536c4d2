package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.forkline.protocol.ControlCodec;
import dev.forkline.protocol.ControlMessage;
import dev.forkline.protocol.WorkerStats;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The supervisor's end of a worker's stdout ({@link ProcessLauncher#readControlChannel}). */
class ControlChannelReaderTest {
    private static final Launcher.WorkerHandle WORKER = new Launcher.WorkerHandle() {
        @Override
        public long pid() {
            return 4242;
        }

        @Override
        public boolean send(ControlMessage command) {
            return true;
        }

        @Override
        public void terminate() {
        }

        @Override
        public void kill() {
        }
    };

    @Test
    void keepsReadingAWorkerAfterAnOverlongOrMalformedLine() {
        // Issue 10, defect 4: an over-long line used to end the reading. The worker then blocked
        // writing heartbeats into the full pipe and was killed as "hung", for the wrong reason.
        WorkerStats stats = new WorkerStats(4242, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0);
        String stdout = ControlCodec.encode(new ControlMessage.Ready(4242, 0, 1, java.util.List.of("0.0.0.0:3000"))) + "\n"
                + "x".repeat(3 * ControlCodec.MAX_LINE) + "\n"
                + "not json at all\n"
                + ControlCodec.encode(new ControlMessage.Heartbeat(stats, 77)) + "\n";
        List<Event> events = new ArrayList<>();

        ProcessLauncher.readControlChannel(new ByteArrayInputStream(stdout.getBytes(StandardCharsets.UTF_8)),
                WORKER, "worker 0 pid 4242", events::add);

        assertThat(events).hasSize(2);
        assertThat(events.get(0)).isInstanceOf(Event.Ready.class);
        assertThat(events.get(1)).isEqualTo(new Event.Heartbeat(WORKER, stats, 77));
    }

    @Test
    void aCommandFromAWorkerIsAnUnexpectedMessageNotDropped() {
        String stdout = ControlCodec.encode(new ControlMessage.Drain()) + "\n";
        List<Event> events = new ArrayList<>();

        ProcessLauncher.readControlChannel(new ByteArrayInputStream(stdout.getBytes(StandardCharsets.UTF_8)),
                WORKER, "worker 0 pid 4242", events::add);

        assertThat(events).containsExactly(new Event.Unexpected(WORKER, new ControlMessage.Drain()));
    }
}
