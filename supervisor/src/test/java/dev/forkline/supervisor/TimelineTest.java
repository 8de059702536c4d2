package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TimelineTest {

    @Test
    void keepsTheNewestEventsNumberedInOrderAndBounded() {
        Timeline t = new Timeline(Clock.SYSTEM);
        for (int i = 0; i < Timeline.CAPACITY + 10; i++) {
            t.add("spawn", i % 4, 1000 + i, 1, "spawned");
        }
        List<Timeline.Entry> events = t.events();
        assertThat(events).hasSize(Timeline.CAPACITY);
        assertThat(events.get(0).seq()).isEqualTo(11);
        assertThat(events.get(events.size() - 1).seq()).isEqualTo(Timeline.CAPACITY + 10);
        assertThat(events.get(events.size() - 1).pid()).isEqualTo(1000 + Timeline.CAPACITY + 9);
    }

    @Test
    void publishesOneImmutableCopyUntilSomethingIsAdded() {
        Timeline t = new Timeline(Clock.SYSTEM);
        t.add("reload", -1, -1, 2, "SIGHUP: reloading to generation 2");
        List<Timeline.Entry> first = t.events();
        assertThat(t.events()).isSameAs(first);
        t.add("reload_done", -1, -1, 2, "reload to generation 2 complete in 900 ms");
        assertThat(t.events()).isNotSameAs(first).hasSize(2);
        assertThat(first).hasSize(1);
    }
}
