package dev.forkline.http;

import io.vertx.core.http.HttpMethod;
import java.util.Set;

/**
 * Which request methods a server knows. RFC 9110 §9.1: a method the origin server does not
 * recognise or implement gets 501 (Not Implemented); 405 (Method Not Allowed, with {@code Allow})
 * is for a known method that the target resource does not allow. Method names are case-sensitive,
 * so {@code get} is an unknown method, not GET.
 */
public final class Methods {
    /** The methods Vert.x names: RFC 9110's, PATCH (RFC 5789) and the registered WebDAV ones. */
    private static final Set<HttpMethod> KNOWN = Set.copyOf(HttpMethod.values());

    private Methods() {
    }

    public static boolean known(HttpMethod method) {
        return KNOWN.contains(method);
    }
}
