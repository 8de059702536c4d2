package dev.forkline.http;

import io.vertx.core.http.HttpMethod;
import java.util.Set;

/**
 * Which request methods an origin server implements. RFC 9110 §9.1: a method the origin server does
 * not recognise or implement gets 501 (Not Implemented); 405 (Method Not Allowed, with {@code Allow})
 * is for a known method that the target resource does not allow. Method names are case-sensitive,
 * so {@code get} is an unknown method, not GET.
 */
public final class Methods {
    /** The methods Vert.x names: RFC 9110's, PATCH (RFC 5789) and the registered WebDAV ones. */
    private static final Set<HttpMethod> KNOWN = Set.copyOf(HttpMethod.values());

    private Methods() {
    }

    /**
     * Every method Vert.x names but CONNECT: CONNECT asks for a tunnel, which only a proxy provides
     * (RFC 9110 §9.3.6); an origin server that is none does not implement it, whatever the target
     * (a 405 would have to list the methods the target allows, and an authority-form target is no
     * resource of ours). nginx answers CONNECT 405; we follow §9.1.
     */
    public static boolean implemented(HttpMethod method) {
        return method != HttpMethod.CONNECT && KNOWN.contains(method);
    }
}
