package dev.forkline.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;
import java.util.Date;

/**
 * The {@code Date} header value (IMF-fixdate, RFC 9110 §5.6.7), formatted at most once per second
 * per process and shared by every connection, as nginx's {@code ngx_cached_http_time}: a response
 * costs one clock read and one comparison, not a formatting.
 */
final class HttpDate {
    private record Cached(long second, AsciiString value) {
    }

    private static volatile Cached cached = new Cached(-1, AsciiString.EMPTY_STRING);

    private HttpDate() {
    }

    static AsciiString now() {
        long millis = System.currentTimeMillis();
        long second = millis / 1000;
        Cached c = cached;
        if (c.second != second) {
            c = new Cached(second, AsciiString.cached(DateFormatter.format(new Date(second * 1000))));
            cached = c;
        }
        return c.value;
    }
}
