package dev.forkline.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The host and request-target grammar of {@link RequestHead}, case by case (RFC 3986 §3.2, RFC 9112 §3.2). */
class RequestHeadTest {

    @ParameterizedTest(name = "Host: {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "''                     | true",
            "example.com            | true",
            "example.com:           | true",   // port = *DIGIT (RFC 3986 §3.2.3)
            ":80                    | true",   // reg-name may be empty
            "a:0                    | true",
            "a:65535                | true",
            "a:065535               | true",
            "a:65536                | false",
            "a:99999999999          | false",
            "a:8a                   | false",
            "a%41                   | false",  // pct-encoded: refused (Vert.x misreads it)
            "[::1]                  | true",
            "[::]                   | true",
            "[::1]:8080             | true",
            "[1:2:3:4:5:6:7:8]      | true",
            "[1:2:3:4:5:6:1.2.3.4]  | true",
            "[::ffff:127.0.0.1]     | true",
            "[1:2:3:4:5:6:7::]      | true",
            "[::1:2:3:4:5:6:7]      | true",
            "[1::2:3:4:5:6:7:8]     | false",  // '::' stands for at least one group
            "[1:2:3:4:5:6:7:8:9]    | false",
            "[1:2:3:4:5:6:7]        | false",
            "[1::2::3]              | false",
            "[:1::]                 | false",
            "[1:]                   | false",
            "[12345::]              | false",
            "[g::]                  | false",
            "[::01.1.1.1]           | false",  // dec-octet has no leading zero
            "[::256.1.1.1]          | false",
            "[1.2.3.4]              | false",
            "[1.2.3.4::]            | false",
            "[fe80::1%25eth0]       | false",  // zone ids are RFC 6874, not RFC 3986
            "[v1.x]                 | true",
            "[V1F.a:b!]             | true",
            "[v.x]                  | false",
            "[v1.]                  | false",
            "[v1x]                  | false",
            "[-!]                   | false",
            "[]                     | false",
            "[::1                   | false",
            "[::1]x                 | false",
            "a b                    | false",
            "a/b                    | false",
            "a@b                    | false",
    })
    void aHostIsUriHostAndAPortOfAtMost65535(String host, boolean valid) {
        byte[] b = host.getBytes(StandardCharsets.ISO_8859_1);
        assertThat(RequestHead.validHost(b, 0, b.length)).as(host).isEqualTo(valid);
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "GET     | /a?b                | 0",
            "OPTIONS | *                   | 0",
            "GET     | *                   | 400",
            "GET     | http://x/a          | 0",
            "GET     | HTTPS://x:8443      | 0",
            "GET     | http://x?q          | 0",
            "GET     | http://[::1]:80/    | 0",
            "GET     | ftp://x/            | 400",
            "GET     | http:x              | 400",
            "GET     | http:/x             | 400",
            "GET     | http://             | 400",
            "GET     | http:///a           | 400",
            "GET     | http://u@x/         | 400",
            "GET     | http://x:65536/     | 400",
            "GET     | x:80                | 400",
            "CONNECT | x:443               | 0",
            "CONNECT | [::1]:443           | 0",
            "CONNECT | x                   | 400",
            "CONNECT | x:                  | 400",
            "CONNECT | :443                | 400",
            "CONNECT | /                   | 400",
            "CONNECT | *                   | 400",
            "CONNECT | http://x:443/       | 400",
    })
    void theRequestTargetTakesTheFormItsMethodAllows(String method, String target, int status) {
        RequestHead head = RequestHead.parse(method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(head.status()).as(head.reason()).isEqualTo(status);
    }
}
