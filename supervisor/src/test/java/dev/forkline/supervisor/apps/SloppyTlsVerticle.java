package dev.forkline.supervisor.apps;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.SelfSignedCertificate;

/**
 * A test application with a TLS server whose listen future it ignores: its socket is created only
 * after the SSL context resolves, after the deployment completed. Ready must wait for it.
 */
public class SloppyTlsVerticle extends AbstractVerticle {
    @Override
    public void start() {
        HttpServerOptions tls = new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(SelfSignedCertificate.create().keyCertOptions());
        vertx.createHttpServer(tls).requestHandler(req -> req.response().end("pid " + ProcessHandle.current().pid() + "\n"))
                .listen(config().getInteger("port"), config().getString("host", "127.0.0.1"));
    }
}
