package dev.forkline.app;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The application's class loader: the app jar and FORKLINE_APP_CLASSPATH, on top of Forkline's own.
 *
 * <p>What the app and Forkline share is loaded <b>parent-first</b>, so that there is exactly one copy
 * of each in the process: the JDK, Vert.x ({@code io.vertx}), Netty ({@code io.netty}) and the Jackson
 * core Vert.x's JSON is built on. An app jar that bundles its own Vert.x of the
 * same minor version therefore runs on Forkline's copy (a bundled copy of another version is refused
 * before any worker starts: {@link AppSpec}). Everything else is <b>child-first</b>, as in Tomcat's
 * web application loader: the app's own libraries win over whatever else happens to be in Forkline's
 * jar (client_java, vertx-config's dependencies), so an app never runs against a version it was not
 * built with. Resources follow the same rule, so an app's {@code webroot/} or {@code logback.xml} is
 * the app's own.
 */
public final class AppClassLoader extends URLClassLoader {
    /** Packages that must exist once per process: loaded from Forkline's class path first. */
    private static final List<String> SHARED = List.of(
            "java.", "javax.", "jdk.", "sun.", "com.sun.",
            "io.vertx.", "io.netty.", "com.fasterxml.jackson.core.");

    static {
        registerAsParallelCapable();
    }

    public AppClassLoader(List<URL> urls, ClassLoader parent) {
        super("forkline-app", urls.toArray(URL[]::new), parent);
    }

    /** Whether a class of this name is loaded from Forkline's class path before the app's. */
    public static boolean shared(String className) {
        for (String prefix : SHARED) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (shared(name)) {
            return super.loadClass(name, resolve); // parent first, then the app's jars
        }
        synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
                try {
                    c = findClass(name);
                } catch (ClassNotFoundException e) {
                    c = getParent().loadClass(name);
                }
            }
            if (resolve) {
                resolveClass(c);
            }
            return c;
        }
    }

    @Override
    public URL getResource(String name) {
        if (sharedResource(name)) {
            return super.getResource(name);
        }
        URL own = findResource(name);
        return own != null ? own : getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (sharedResource(name)) {
            return super.getResources(name);
        }
        List<URL> all = new ArrayList<>(Collections.list(findResources(name)));
        all.addAll(Collections.list(getParent().getResources(name)));
        return Collections.enumeration(all);
    }

    private static boolean sharedResource(String name) {
        String path = name.startsWith("/") ? name.substring(1) : name;
        return path.endsWith(".class") && shared(path.replace('/', '.'));
    }
}
