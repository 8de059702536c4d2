package dev.forkline.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.forkline.config.WorkerConfig;
import dev.forkline.protocol.LineClient;
import dev.forkline.testkit.ForklineProcess;
import dev.forkline.testkit.FreePorts;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A warm standby's transport: every listening socket is created and configured but its bind is held
 * back, so the kernel has no listener for it (connect refused, no LISTEN entry in /proc/net/tcp) and
 * the application's listen futures stay pending, until the promotion releases the binds.
 */
class StandbyBindsTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final Counters counters = new Counters();
    private final WorkerTransport transport = WorkerTransport.epoll(counters);
    private final AtomicInteger held = new AtomicInteger();
    private Vertx vertx;

    private Vertx standbyVertx() {
        transport.holdBinds(held::incrementAndGet);
        vertx = Vertx.builder().withTransport(transport).with(new VertxOptions().setEventLoopPoolSize(1)).build();
        assertThat(vertx.isNativeTransportEnabled()).as("native epoll").isTrue();
        return vertx;
    }

    @AfterEach
    void close() throws Exception {
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static void assertNothingListensOn(int port) throws Exception {
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).as("connect to port %d", port)
                .isInstanceOf(ConnectException.class);
        assertThat(ForklineProcess.listenersOn(port, Set.of(PID))).as("LISTEN sockets on %d in /proc/net/tcp", port).isEmpty();
    }

    @Test
    void theBuiltInServersDoNotListenUntilTheBindsAreReleased() throws Exception {
        WorkerConfig config = WorkerConfig.from(Map.of("FORKLINE_HOST", "127.0.0.1",
                "FORKLINE_PORT", Integer.toString(FreePorts.next()), "FORKLINE_HTTP_PORT", Integer.toString(FreePorts.next())));
        Vertx vertx = standbyVertx();
        WorkerIdentity id = new WorkerIdentity(PID, WorkerIdentity.STANDBY, 1, System.currentTimeMillis());
        Future<String> deployed = vertx.deployVerticle(new WorkerVerticle(config, id, counters));

        Optional<List<String>> booted = awaitBooted(deployed);
        assertThat(booted.orElseThrow()).containsExactlyInAnyOrder("127.0.0.1:" + config.port(), "127.0.0.1:" + config.httpPort());
        assertThat(deployed.isComplete()).as("start() returns the listen futures: pending while held").isFalse();
        assertNothingListensOn(config.port());
        assertNothingListensOn(config.httpPort());

        transport.releaseBinds();

        deployed.await(10, TimeUnit.SECONDS);
        try (LineClient c = LineClient.connect("127.0.0.1", config.port())) {
            assertThat(c.serverPid()).isEqualTo(PID);
        }
        assertThat(ForklineProcess.listenersOn(config.port(), Set.of(PID))).containsEntry(PID, 1);
        assertThat(ForklineProcess.listenersOn(config.httpPort(), Set.of(PID))).containsEntry(PID, 1);
    }

    @Test
    void anApplicationWhoseStartAwaitsListenRunsWhatFollowsOnlyAfterTheRelease() throws Exception {
        int port = FreePorts.next();
        AtomicBoolean afterListen = new AtomicBoolean();
        Vertx vertx = standbyVertx();
        Future<String> deployed = vertx.deployVerticle(new VerticleBase() {
            @Override
            public Future<?> start() {
                return vertx.createNetServer().connectHandler(s -> s.end(io.vertx.core.buffer.Buffer.buffer("hi\n")))
                        .listen(port, "127.0.0.1").onSuccess(s -> afterListen.set(true));
            }
        });

        assertThat(awaitBooted(deployed).orElseThrow()).containsExactly("127.0.0.1:" + port);
        assertThat(afterListen).isFalse();
        assertNothingListensOn(port);

        transport.releaseBinds();

        deployed.await(10, TimeUnit.SECONDS);
        assertThat(afterListen).isTrue();
        try (Socket s = new Socket("127.0.0.1", port)) {
            assertThat(new String(s.getInputStream().readNBytes(3), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hi\n");
        }
    }

    @Test
    void anApplicationThatIgnoresItsListenFutureIsBootedOnceDeployedAndListensOnlyAfterTheRelease() throws Exception {
        int port = FreePorts.next();
        Vertx vertx = standbyVertx();
        Future<String> deployed = vertx.deployVerticle(new VerticleBase() {
            @Override
            public Future<?> start() {
                vertx.createNetServer().connectHandler(s -> s.end()).listen(port, "127.0.0.1");
                return Future.succeededFuture();
            }
        });
        deployed.await(10, TimeUnit.SECONDS);

        assertThat(awaitBooted(deployed).orElseThrow()).containsExactly("127.0.0.1:" + port);
        assertNothingListensOn(port);

        transport.releaseBinds();

        await().atMost(WAIT).until(() -> ForklineProcess.listenersOn(port, Set.of(PID)).containsKey(PID));
        // What a promoted worker waits for before it says ready: every socket bound.
        assertThat(transport.serversSettled(vertx).await(10, TimeUnit.SECONDS).listening()).containsExactly("127.0.0.1:" + port);
    }

    @Test
    void anApplicationThatListensOnNothingIsBootedOnceDeployed() throws Exception {
        Vertx vertx = standbyVertx();
        Future<String> deployed = vertx.deployVerticle(new VerticleBase() {
        });
        deployed.await(10, TimeUnit.SECONDS);
        assertThat(transport.standbyBooted(vertx, false)).as("not before its deployment completed").isEmpty();
        assertThat(transport.standbyBooted(vertx, true)).contains(List.of());
    }

    /** Waits until the standby's application has got as far as it can without listening. */
    private Optional<List<String>> awaitBooted(Future<String> deployed) {
        await().atMost(WAIT).until(() -> transport.standbyBooted(vertx, deployed.succeeded()).isPresent());
        assertThat(held).as("onHeld ran for each held bind").hasPositiveValue();
        return transport.standbyBooted(vertx, deployed.succeeded());
    }
}
