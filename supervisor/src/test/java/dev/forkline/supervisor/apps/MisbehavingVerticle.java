package dev.forkline.supervisor.apps;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * A test application that does what applications must not, on request, to prove that Forkline
 * contains it (and {@code /slow?ms=N}, a request that takes long without blocking anything):
 * {@code /block?ms=N} blocks the event loop (the classic Vert.x mistake),
 * {@code /exit?code=N} calls System.exit, {@code /oom} exhausts the heap. {@code /} answers
 * {@code pid N}. It also opens a plain NetServer with default options on config {@code netPort}
 * (greets with its pid), to show that every kind of server becomes reuse-port.
 */
public class MisbehavingVerticle extends VerticleBase {
    private final long pid = ProcessHandle.current().pid();

    @Override
    public Future<?> start() {
        int port = config().getInteger("port");
        String host = config().getString("host", "127.0.0.1");
        Future<?> http = vertx.createHttpServer().requestHandler(this::handle).listen(port, host);
        // What applications do: print. It must reach the log tagged with the worker, not the control channel.
        System.out.println("misbehaving verticle listening on " + port);
        Integer netPort = config().getInteger("netPort");
        if (netPort == null) {
            return http;
        }
        Future<?> net = vertx.createNetServer()
                .connectHandler(socket -> socket.end(io.vertx.core.buffer.Buffer.buffer("pid " + pid + "\n")))
                .listen(netPort, host);
        return Future.all(http, net);
    }

    private void handle(HttpServerRequest req) {
        switch (req.path()) {
            case "/block" -> {
                long until = System.nanoTime() + Long.parseLong(req.getParam("ms", "60000")) * 1_000_000L;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait(); // blocks this worker's only event loop
                }
                req.response().end("pid " + pid + " unblocked\n");
            }
            case "/slow" -> vertx.setTimer(Long.parseLong(req.getParam("ms", "1000")),
                    t -> req.response().end("pid " + pid + " slow\n")); // a long request, not blocking
            case "/exit" -> System.exit(Integer.parseInt(req.getParam("code", "0")));
            case "/oom" -> {
                List<long[]> hog = new ArrayList<>();
                while (true) {
                    hog.add(new long[1 << 20]);
                }
            }
            default -> req.response().end("pid " + pid + "\n");
        }
    }
}
