package dev.forkline.supervisor.apps.lib;

import io.vertx.core.VerticleBase;

/** A test library class, shipped in a jar of its own (FORKLINE_APP_CLASSPATH). */
public abstract class GreetingBase extends VerticleBase {
    protected String greeting() {
        return "hello from a library";
    }
}
