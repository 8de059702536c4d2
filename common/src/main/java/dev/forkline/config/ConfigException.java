package dev.forkline.config;

/**
 * A configuration value that cannot be used. The message is the one line an operator needs: the
 * variable, the value given and what is allowed, e.g.
 * {@code FORKLINE_PORT=abc is invalid: expected an integer from 1 to 65535}.
 */
public final class ConfigException extends RuntimeException {
    public ConfigException(String variable, String value, String allowed) {
        super(variable + "=" + value + " is invalid: expected " + allowed);
    }

    public ConfigException(String message) {
        super(message);
    }
}
