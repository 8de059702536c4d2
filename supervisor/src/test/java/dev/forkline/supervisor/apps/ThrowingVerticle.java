package dev.forkline.supervisor.apps;

import io.vertx.core.AbstractVerticle;

/** A test application whose start() throws, with a cause: the old-style (Vert.x 4) verticle API. */
public class ThrowingVerticle extends AbstractVerticle {
    @Override
    public void start() {
        throw new IllegalArgumentException("bad settings file",
                new java.io.FileNotFoundException("/etc/app/settings.json (No such file or directory)"));
    }
}
