package dev.forkline.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Whom {@code forkline takeover} may join, decided from what /proc shows (here: given). */
class TakeoverTest {
    private static final long ME = 1000;
    private static final Takeover.Port LINE = new Takeover.Port("0.0.0.0", 3000, "FORKLINE_PORT");
    private static final Takeover.Port ADMIN = new Takeover.Port("127.0.0.1", 9090, "FORKLINE_ADMIN_PORT");

    private static PortOwner.Listener worker(long pid, long supervisor) {
        return new PortOwner.Listener(ME, OptionalLong.of(pid), Optional.of(supervisor), "java dev.forkline.worker.WorkerMain");
    }

    private static PortOwner.Listener supervisor(long pid) {
        return new PortOwner.Listener(ME, OptionalLong.of(pid), Optional.of(pid), "java -jar forkline.jar");
    }

    private static Map<Takeover.Port, List<PortOwner.Listener>> taken(Object... portsAndListeners) {
        Map<Takeover.Port, List<PortOwner.Listener>> m = new LinkedHashMap<>();
        for (int i = 0; i < portsAndListeners.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<PortOwner.Listener> l = (List<PortOwner.Listener>) portsAndListeners[i + 1];
            m.put((Takeover.Port) portsAndListeners[i], l);
        }
        return m;
    }

    private static OptionalLong decide(Map<Takeover.Port, List<PortOwner.Listener>> taken, OptionalLong named,
                                       Optional<PortOwner.Listener> namedProcess) throws Takeover.Refused {
        return Takeover.decide(taken, ME, named, namedProcess);
    }

    @Test
    void theWorkersAndTheSupervisorOfOneForklineOfOurUserAreJoined() throws Exception {
        assertThat(decide(taken(LINE, List.of(worker(11, 10), worker(12, 10)), ADMIN, List.of(supervisor(10))),
                OptionalLong.empty(), Optional.empty())).hasValue(10);
        assertThat(decide(taken(LINE, List.of(worker(11, 10))), OptionalLong.of(10), Optional.empty())).hasValue(10);
    }

    @Test
    void nothingTakenIsNothingToTakeOver() throws Exception {
        assertThat(decide(Map.of(), OptionalLong.empty(), Optional.empty())).isEmpty();
    }

    @Test
    void anotherUsersListenerIsRefusedNamingTheUid() {
        PortOwner.Listener theirs = new PortOwner.Listener(33, OptionalLong.empty(), Optional.empty(), "");
        assertThatThrownBy(() -> decide(taken(LINE, List.of(worker(11, 10), theirs)), OptionalLong.empty(), Optional.empty()))
                .isInstanceOf(Takeover.Refused.class)
                .hasMessage("forkline takeover refused: 0.0.0.0:3000 (FORKLINE_PORT) is held by a process of uid 33,"
                        + " and this supervisor runs as uid 1000: the kernel shares a port (SO_REUSEPORT) only between"
                        + " one user's sockets; run the takeover as uid 33");
    }

    @Test
    void aListenerThatIsNotForklineIsRefusedWithItsCommand() {
        PortOwner.Listener nginx = new PortOwner.Listener(ME, OptionalLong.of(77), Optional.empty(), "nginx: worker process");
        assertThatThrownBy(() -> decide(taken(LINE, List.of(nginx)), OptionalLong.empty(), Optional.empty()))
                .hasMessage("forkline takeover refused: 0.0.0.0:3000 (FORKLINE_PORT) is held by pid 77 (nginx: worker"
                        + " process), which is not a Forkline supervisor or worker: takeover joins only a running Forkline's ports");
    }

    @Test
    void aListenerOfOurUserThatProcDoesNotShowIsRefused() {
        PortOwner.Listener hidden = new PortOwner.Listener(ME, OptionalLong.empty(), Optional.empty(), "");
        assertThatThrownBy(() -> decide(taken(LINE, List.of(hidden)), OptionalLong.empty(), Optional.empty()))
                .hasMessageContaining("is held by a process of uid 1000 that /proc does not show");
    }

    @Test
    void aTakenPortWithoutAListenerIsRefused() {
        assertThatThrownBy(() -> decide(taken(LINE, List.of()), OptionalLong.empty(), Optional.empty()))
                .hasMessage("forkline takeover refused: 0.0.0.0:3000 (FORKLINE_PORT) is taken, but no socket listens"
                        + " on it (/proc/net/tcp): there is no reuse-port group to join");
    }

    @Test
    void twoForklinesAreRefused() {
        assertThatThrownBy(() -> decide(taken(LINE, List.of(worker(11, 10)), ADMIN, List.of(supervisor(20))),
                OptionalLong.empty(), Optional.empty()))
                .hasMessage("forkline takeover refused: Forkline supervisor pid 10 holds 0.0.0.0:3000 (FORKLINE_PORT),"
                        + " Forkline supervisor pid 20 holds 127.0.0.1:9090 (FORKLINE_ADMIN_PORT): take over one"
                        + " Forkline at a time, on its own ports");
    }

    @Test
    void aNamedPidMustBeTheOneOnThePorts() {
        assertThatThrownBy(() -> decide(taken(LINE, List.of(worker(11, 10))), OptionalLong.of(20), Optional.empty()))
                .hasMessage("forkline takeover 20 refused: 0.0.0.0:3000 (FORKLINE_PORT) is held by Forkline supervisor"
                        + " pid 10, not by pid 20");
    }

    @Test
    void withNothingTakenANamedPidMustBeAForklineSupervisorOfOurUser() throws Exception {
        assertThat(decide(Map.of(), OptionalLong.of(10), Optional.of(supervisor(10)))).hasValue(10);
        assertThatThrownBy(() -> decide(Map.of(), OptionalLong.of(10), Optional.empty()))
                .hasMessage("forkline takeover 10 refused: there is no process 10");
        assertThatThrownBy(() -> decide(Map.of(), OptionalLong.of(11), Optional.of(worker(11, 10))))
                .hasMessage("forkline takeover 11 refused: pid 11 (java dev.forkline.worker.WorkerMain) is not a"
                        + " Forkline supervisor (none of its children is a Forkline worker)");
        PortOwner.Listener root = new PortOwner.Listener(0, OptionalLong.of(10), Optional.of(10L), "java -jar forkline.jar");
        assertThatThrownBy(() -> decide(Map.of(), OptionalLong.of(10), Optional.of(root)))
                .hasMessageContaining("Forkline supervisor pid 10 runs as uid 0, and this supervisor as uid 1000");
    }
}
