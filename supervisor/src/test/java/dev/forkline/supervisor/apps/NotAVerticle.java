package dev.forkline.supervisor.apps;

/** A test class that is not a verticle: FORKLINE_APP_VERTICLE naming it is a configuration error. */
public class NotAVerticle {
    public void start() {
    }
}
