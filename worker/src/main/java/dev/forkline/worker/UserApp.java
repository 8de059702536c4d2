package dev.forkline.worker;

import dev.forkline.app.AppClassLoader;
import dev.forkline.app.AppSpec;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * Deploys the user's verticle (FORKLINE_APP) in this worker's Vert.x, from its own class loader
 * ({@link AppClassLoader}: Vert.x and Netty shared with Forkline, the app's other libraries its own),
 * with FORKLINE_APP_CONFIG as its {@code config()}. The deployment completes when the verticle's
 * start future does, listen futures included.
 */
final class UserApp {
    private UserApp() {
    }

    /** Why the application could not start, as one line for the supervisor's log. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    static Future<String> deploy(Vertx vertx, AppSpec spec) {
        AppClassLoader loader = spec.classLoader(UserApp.class.getClassLoader());
        Class<? extends Deployable> type;
        JsonObject config;
        try {
            type = Class.forName(spec.verticle(), false, loader).asSubclass(Deployable.class);
            config = config(spec);
        } catch (ClassNotFoundException | LinkageError | ClassCastException e) {
            return Future.failedFuture(new Failure("cannot load " + spec.verticle() + " from " + spec.jar() + ": " + e));
        } catch (Failure e) {
            return Future.failedFuture(e);
        }
        Constructor<? extends Deployable> constructor;
        try {
            constructor = type.getConstructor();
        } catch (NoSuchMethodException e) {
            return Future.failedFuture(new Failure(spec.verticle() + " has no public no-argument constructor"));
        }
        DeploymentOptions options = new DeploymentOptions().setConfig(config).setClassLoader(loader);
        return vertx.deployVerticle(() -> instantiate(constructor, loader), options);
    }

    private static Deployable instantiate(Constructor<? extends Deployable> constructor, ClassLoader loader) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(loader); // static initialisers that look up resources see the app's
        try {
            return constructor.newInstance();
        } catch (InvocationTargetException e) {
            throw new Failure("the constructor of " + constructor.getDeclaringClass().getName() + " threw "
                    + describe(e.getCause()));
        } catch (ExceptionInInitializerError e) {
            throw new Failure("the static initializer of " + constructor.getDeclaringClass().getName() + " threw "
                    + describe(e.getCause()));
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new Failure("cannot create " + constructor.getDeclaringClass().getName() + ": " + e);
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    private static JsonObject config(AppSpec spec) {
        if (spec.config().isEmpty()) {
            return new JsonObject();
        }
        try {
            return new JsonObject(Files.readString(spec.config().get(), StandardCharsets.UTF_8));
        } catch (IOException | DecodeException e) {
            throw new Failure("cannot read FORKLINE_APP_CONFIG " + spec.config().get() + ": " + e.getMessage());
        }
    }

    /**
     * An exception as one line: its class and message, and its first cause (an application's own
     * message is usually on one of the two).
     */
    static String describe(Throwable e) {
        if (e == null) {
            return "an unknown error";
        }
        String text = oneLine(e);
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            text += " (caused by " + oneLine(cause) + ")";
        }
        return text;
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage();
        String text = message == null || message.isBlank() ? e.getClass().getName() : e.getClass().getName() + ": " + message;
        return text.replaceAll("\\s*\\R\\s*", " ");
    }
}
