package dev.forkline.supervisor.apps;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * A test application as Vert.x tutorials write one: a main verticle that deploys several instances of
 * the one that serves (here {@link MisbehavingVerticle}, config passed on). Vert.x binds the port once
 * and shares it among the instances; only the first is in its server table.
 */
public class MultiInstanceVerticle extends VerticleBase {
    @Override
    public Future<?> start() {
        return vertx.deployVerticle(MisbehavingVerticle.class.getName(),
                new DeploymentOptions().setConfig(config()).setInstances(3));
    }
}
