package dev.forkline.supervisor.apps.split;

import dev.forkline.supervisor.apps.lib.GreetingBase;
import io.vertx.core.Future;

/** A test application whose superclass is in another jar: it needs FORKLINE_APP_CLASSPATH. */
public class SplitVerticle extends GreetingBase {
    @Override
    public Future<?> start() {
        return vertx.createHttpServer()
                .requestHandler(req -> req.response().end(greeting() + ", pid " + ProcessHandle.current().pid() + "\n"))
                .listen(config().getInteger("port"), "127.0.0.1");
    }
}
