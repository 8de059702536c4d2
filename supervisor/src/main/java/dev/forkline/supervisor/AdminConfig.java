package dev.forkline.supervisor;

import dev.forkline.config.ConfigException;
import dev.forkline.config.Setting;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * Where the admin HTTP API listens and the token it requires. Off loopback a token is required: the
 * API can reload, scale and stop the server.
 *
 * @param port 0 turns the admin API off
 * @param token empty when none is set (only allowed on a loopback address)
 */
record AdminConfig(String host, int port, String token) {

    static AdminConfig from(Map<String, String> values) {
        String host = Setting.ADMIN_HOST.word(values, "an IP address or a host name");
        int port = Setting.ADMIN_PORT.intIn(values, 0, 65535);
        String token = Setting.ADMIN_TOKEN.raw(values);
        if (port != 0 && token.isEmpty() && !isLoopback(host)) {
            throw new ConfigException(Setting.ADMIN_HOST.variable() + "=" + host
                    + " is not a loopback address, so FORKLINE_ADMIN_TOKEN must be set: the admin API can"
                    + " reload, scale and stop the server");
        }
        if (!token.isEmpty() && (token.length() < 16 || token.chars().anyMatch(c -> c <= ' ' || c >= 0x7f))) {
            throw new ConfigException(Setting.ADMIN_TOKEN.variable(), "(hidden)",
                    "at least 16 printable ASCII characters without blanks");
        }
        return new AdminConfig(host, port, token);
    }

    boolean enabled() {
        return port != 0;
    }

    /** The address a client on this machine uses to reach the API (a wildcard host means loopback). */
    String clientHost() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1" : host;
    }

    /** {@code host:port}, with an IPv6 address in brackets (RFC 3986 §3.2.2), for logs and URLs. */
    static String hostPort(String host, int port) {
        return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new ConfigException(Setting.ADMIN_HOST.variable(), host, "an IP address or a resolvable host name");
        }
    }

    @Override
    public String toString() {
        return "AdminConfig[host=" + host + ", port=" + port + ", token=" + (token.isEmpty() ? "none" : "set") + "]";
    }
}
