package dev.forkline.supervisor.apps;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** A test application whose start fails, as one that cannot reach its database does. */
public class FailingVerticle extends VerticleBase {
    @Override
    public Future<?> start() {
        return Future.failedFuture(new IllegalStateException("cannot reach the database at db.internal:5432"));
    }
}
