package dev.forkline.supervisor.apps;

import io.vertx.core.AbstractVerticle;

/**
 * A test application that listens without waiting for its listen future: its deployment completes
 * before its socket is bound. Forkline must still report ready only once the socket is bound, and
 * must treat a failed bind as a boot error.
 */
public class SloppyListenVerticle extends AbstractVerticle {
    @Override
    public void start() {
        vertx.createHttpServer().requestHandler(req -> req.response().end("pid " + ProcessHandle.current().pid() + "\n"))
                .listen(config().getInteger("port"), config().getString("host", "127.0.0.1"));
    }
}
