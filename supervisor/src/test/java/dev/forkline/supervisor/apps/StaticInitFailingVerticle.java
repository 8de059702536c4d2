package dev.forkline.supervisor.apps;

import io.vertx.core.VerticleBase;

/** A test application whose class cannot initialise: its message must still reach the log. */
public class StaticInitFailingVerticle extends VerticleBase {
    static final int LIMIT = Integer.parseInt(System.getProperty("kv.limit", "not a number"));
}
