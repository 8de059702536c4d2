package dev.forkline.bench;

import dev.forkline.config.WorkerConfig;
import dev.forkline.worker.WorkerVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The baseline the bench compares Forkline's processes with: ONE JVM running Vert.x with N event
 * loops and N instances of the same verticle on one port, Vert.x balancing connections among them.
 * {@code java -cp forkline-bench.jar dev.forkline.bench.SingleJvmServer PORT HTTP_PORT INSTANCES}
 */
public final class SingleJvmServer {
    private SingleJvmServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int httpPort = Integer.parseInt(args[1]);
        int instances = Integer.parseInt(args[2]);
        WorkerConfig config = WorkerConfig.from(Map.of(
                "FORKLINE_HOST", "127.0.0.1",
                "FORKLINE_PORT", Integer.toString(port),
                "FORKLINE_HTTP_PORT", Integer.toString(httpPort)));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(instances).setPreferNativeTransport(true));
        if (!vertx.isNativeTransportEnabled()) {
            throw new IllegalStateException("no native transport", vertx.unavailableNativeTransportCause());
        }
        vertx.deployVerticle(WorkerVerticle.embedded(config), new DeploymentOptions().setInstances(instances))
                .await(30, TimeUnit.SECONDS);
        System.err.println("single JVM ready: " + instances + " verticle instances on 127.0.0.1:" + port);
        Thread.currentThread().join(); // until killed
    }
}
