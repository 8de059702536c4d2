package dev.forkline.http;

import java.nio.charset.StandardCharsets;

/**
 * The verdict on one complete HTTP/1.x request head (request-line, field lines, the empty line),
 * checked byte by byte against RFC 9112 and RFC 9110 where the decoder behind us is lenient. Pure:
 * {@link #parse} reads an array and allocates only the result, so it is property-tested alone.
 *
 * <p>A head that passes is forwarded unchanged to Netty's decoder (except a 1.x minor version above
 * 1, rewritten to 1.1), so the two parsers only ever see input on which they agree.
 *
 * @param status 0 when the head is acceptable, else the status to answer before closing
 * @param reason why, with the RFC section, for the error body (null when acceptable)
 * @param framing how the body that follows is delimited
 * @param contentLength the body's length for {@link Framing#LENGTH}
 * @param minorVersionAt offset of a minor version digit above 1, to rewrite as '1' (or -1)
 * @param headMethod whether the method is HEAD (the error answer then has no body)
 * @param connect whether the method is CONNECT (a 2xx answer turns the connection into a tunnel)
 */
record RequestHead(int status, String reason, Framing framing, long contentLength, int minorVersionAt,
                   boolean headMethod, boolean connect) {

    enum Framing { NONE, LENGTH, CHUNKED }

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte SP = ' ';
    private static final byte HT = '\t';

    /** RFC 9110 §5.6.2: tchar. */
    private static final boolean[] TCHAR = new boolean[256];
    /** RFC 3986 §3.2.2 reg-name without pct-encoded (see {@link #validAuthority}): unreserved / sub-delims. */
    private static final boolean[] REG_NAME = new boolean[256];
    /** RFC 3986 §3.1 scheme characters after the first ALPHA. */
    private static final boolean[] SCHEME = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = REG_NAME[c] = SCHEME[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = REG_NAME[c] = SCHEME[c] = true;
            TCHAR[c - 32] = REG_NAME[c - 32] = SCHEME[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (char c : "-._~!$&'()*+,;=".toCharArray()) {
            REG_NAME[c] = true;
        }
        for (char c : "+-.".toCharArray()) {
            SCHEME[c] = true;
        }
    }

    static final RequestHead NO_BODY = new RequestHead(0, null, Framing.NONE, 0, -1, false, false);

    static RequestHead error(int status, String reason) {
        return new RequestHead(status, reason, Framing.NONE, 0, -1, false, false);
    }

    private static RequestHead error(int status, String reason, boolean head) {
        return new RequestHead(status, reason, Framing.NONE, 0, -1, head, false);
    }

    boolean ok() {
        return status == 0;
    }

    /**
     * Checks the head in {@code b[from, to)}: the request-line and every field line end in CR LF,
     * the last line is empty. The caller has found the lines and enforced the size limits.
     */
    static RequestHead parse(byte[] b, int from, int to) {
        // Request-line (RFC 9112 §3): method SP request-target SP HTTP-version CRLF, single SPs.
        int eol = lineEnd(b, from, to);
        if (eol < 0) {
            return error(400, "a line ends in a bare LF or holds a bare CR (RFC 9112 §2.2)");
        }
        int i = from;
        while (i < eol && TCHAR[b[i] & 0xff]) {
            i++;
        }
        if (i == from || i == eol || b[i] != SP) {
            return error(400, "the request-line is not method SP request-target SP HTTP-version (RFC 9112 §3)");
        }
        int methodEnd = i;
        boolean head = is(b, from, methodEnd, "HEAD");
        boolean connect = is(b, from, methodEnd, "CONNECT");
        boolean options = is(b, from, methodEnd, "OPTIONS");
        int targetStart = ++i;
        while (i < eol && b[i] > SP && b[i] < 0x7f) {
            i++;
        }
        if (i == targetStart || i == eol || b[i] != SP) {
            return error(400, "the request-target is empty or holds a byte that is not a visible ASCII"
                    + " character (RFC 9112 §3.2)", head);
        }
        int targetEnd = i;
        int v = i + 1;
        // HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
        if (eol - v != 8 || !is(b, v, v + 5, "HTTP/") || !digit(b[v + 5]) || b[v + 6] != '.' || !digit(b[v + 7])) {
            return error(400, "the HTTP-version is not HTTP/DIGIT.DIGIT (RFC 9112 §2.3)", head);
        }
        int major = b[v + 5] - '0';
        int minor = b[v + 7] - '0';
        if (major != 1) {
            // Never answer in a version we do not speak: 505 in HTTP/1.1 (RFC 9110 §15.6.6).
            return error(505, "this server speaks HTTP/1.1; HTTP/" + major + "." + minor
                    + " is not supported here (RFC 9110 §15.6.6)", head);
        }
        int minorAt = minor > 1 ? v + 7 : -1; // answered as HTTP/1.1 (RFC 9112 §2.3)
        boolean http10 = minor == 0;
        // Request-target forms (RFC 9112 §3.2).
        if (connect) {
            // authority-form, the only form CONNECT takes (§3.2.3); an empty or invalid port is
            // rejected (RFC 9110 §9.3.6). Whether CONNECT is implemented is the application's decision.
            if (!validAuthority(b, targetStart, targetEnd, true, true)) {
                return error(400, "a CONNECT request-target is not authority-form host:port (RFC 9112 §3.2.3,"
                        + " RFC 9110 §9.3.6)", head);
            }
        } else if (b[targetStart] == '/') {
            // origin-form
        } else if (targetEnd - targetStart == 1 && b[targetStart] == '*') {
            if (!options) {
                return error(400, "the asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)", head);
            }
        } else {
            String bad = absoluteForm(b, targetStart, targetEnd);
            if (bad != null) {
                return error(400, bad, head);
            }
        }

        int hosts = 0;
        boolean hostValid = true;
        int lengths = 0;
        long length = -1;
        boolean lengthValid = true;
        int chunked = 0;
        boolean chunkedLast = false;
        boolean otherCoding = false;
        boolean te = false;
        int line = eol + 2;
        while (true) {
            eol = lineEnd(b, line, to);
            if (eol < 0) {
                return error(400, "a line ends in a bare LF or holds a bare CR (RFC 9112 §2.2)", head);
            }
            if (eol == line) {
                break; // the empty line: end of the head
            }
            String bad = fieldLine(b, line, eol);
            if (bad != null) {
                return error(400, bad, head);
            }
            int n = line;
            while (b[n] != ':') {
                n++;
            }
            int valueStart = n + 1;
            int vs = valueStart;
            int ve = eol;
            while (vs < ve && (b[vs] == SP || b[vs] == HT)) {
                vs++;
            }
            while (ve > vs && (b[ve - 1] == SP || b[ve - 1] == HT)) {
                ve--;
            }
            int nameLength = n - line;
            if (nameLength == 4 && isIgnoreCase(b, line, n, "host")) {
                hosts++;
                hostValid &= validHost(b, vs, ve);
            } else if (nameLength == 14 && isIgnoreCase(b, line, n, "content-length")) {
                lengths++;
                length = digits(b, vs, ve);
                lengthValid &= length >= 0;
            } else if (nameLength == 17 && isIgnoreCase(b, line, n, "transfer-encoding")) {
                te = true;
                // A comma-separated list; empty elements are allowed (RFC 9110 §5.6.1).
                int e = vs;
                while (e <= ve) {
                    int comma = e;
                    while (comma < ve && b[comma] != ',') {
                        comma++;
                    }
                    int s0 = e;
                    int s1 = comma;
                    while (s0 < s1 && (b[s0] == SP || b[s0] == HT)) {
                        s0++;
                    }
                    while (s1 > s0 && (b[s1 - 1] == SP || b[s1 - 1] == HT)) {
                        s1--;
                    }
                    if (s1 > s0) {
                        if (isIgnoreCase(b, s0, s1, "chunked")) {
                            chunked++;
                            chunkedLast = true;
                        } else {
                            otherCoding = true;
                            chunkedLast = false;
                        }
                    }
                    e = comma + 1;
                }
            }
            line = eol + 2;
        }

        if (!http10 && hosts == 0) {
            return error(400, "an HTTP/1.1 request must have a Host header field (RFC 9112 §3.2)", head);
        }
        if (hosts > 1) {
            return error(400, "more than one Host header field (RFC 9112 §3.2)", head);
        }
        if (!hostValid) {
            return error(400, "the Host header field is not a valid host[:port] (RFC 9112 §3.2, RFC 3986 §3.2)", head);
        }
        if (te) {
            if (http10) {
                return error(400, "Transfer-Encoding in an HTTP/1.0 request: the framing is faulty (RFC 9112 §6.1)", head);
            }
            if (lengths > 0) {
                return error(400, "both Content-Length and Transfer-Encoding: ambiguous framing (RFC 9112 §6.1, §6.3)", head);
            }
            if (!chunkedLast) {
                return error(400, "chunked is not the final transfer coding: the body length cannot be"
                        + " determined (RFC 9112 §6.3)", head);
            }
            if (chunked > 1) {
                return error(400, "chunked is applied more than once (RFC 9112 §7)", head);
            }
            if (otherCoding) {
                return error(501, "a transfer coding other than chunked is not implemented (RFC 9112 §6.1)", head);
            }
            return new RequestHead(0, null, Framing.CHUNKED, 0, minorAt, head, connect);
        }
        if (lengths > 1 || !lengthValid) {
            return error(400, lengths > 1 ? "more than one Content-Length (RFC 9112 §6.3)"
                    : "Content-Length is not a number of octets (RFC 9112 §6.3)", head);
        }
        if (lengths == 1 && length > 0) {
            return new RequestHead(0, null, Framing.LENGTH, length, minorAt, head, connect);
        }
        if (minorAt < 0 && !head && !connect) {
            return NO_BODY;
        }
        return new RequestHead(0, null, Framing.NONE, 0, minorAt, head, connect);
    }

    /**
     * Why the field line {@code b[line, eol)} (without its CR LF) is refused, or null: obs-fold,
     * whitespace before the colon, a name that is not a token, a control character in the value.
     */
    static String fieldLine(byte[] b, int line, int eol) {
        if (b[line] == SP || b[line] == HT) {
            return "obsolete line folding is not accepted (RFC 9112 §5.2)";
        }
        int n = line;
        while (n < eol && TCHAR[b[n] & 0xff]) {
            n++;
        }
        if (n == eol || b[n] != ':') {
            return n < eol && (b[n] == SP || b[n] == HT)
                    ? "whitespace between a field name and the colon (RFC 9112 §5.1)"
                    : "a field line is not field-name \":\" field-value (RFC 9112 §5)";
        }
        if (n == line) {
            return "a field line has an empty field name (RFC 9110 §5.1)";
        }
        for (int k = n + 1; k < eol; k++) {
            int c = b[k] & 0xff;
            if (c < 0x20 && c != HT || c == 0x7f) {
                // CR, LF and NUL in a field value are dangerous (RFC 9110 §5.5): rejected.
                return "a field value holds a control character (RFC 9110 §5.5)";
            }
        }
        return null;
    }

    /**
     * The size in a chunk-size line {@code b[from, eol)} (RFC 9112 §7.1): hex digits, then chunk
     * extensions {@code *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )}, which are
     * checked and ignored. -1 when the line is malformed; -2 when the size exceeds 2^31-1, the most
     * Netty's decoder represents (its int arithmetic wraps a 9-digit size such as 100000000 to 0,
     * which would end the body early and let the rest be read as a new request).
     */
    static long chunkSize(byte[] b, int from, int eol) {
        int i = from;
        long size = 0;
        while (i < eol && hex(b[i])) {
            size = size * 16 + Character.digit(b[i], 16);
            if (size > Integer.MAX_VALUE) {
                return -2;
            }
            i++;
        }
        if (i == from) {
            return -1;
        }
        while (i < eol) {
            i = bws(b, i, eol);
            if (i == eol || b[i] != ';') {
                return -1;
            }
            i = bws(b, i + 1, eol);
            int name = i;
            while (i < eol && TCHAR[b[i] & 0xff]) {
                i++;
            }
            if (i == name) {
                return -1;
            }
            int j = bws(b, i, eol);
            if (j < eol && b[j] == '=') {
                i = bws(b, j + 1, eol);
                if (i < eol && b[i] == '"') {
                    i++;
                    while (i < eol && b[i] != '"') {
                        int c = b[i] & 0xff;
                        if (c == '\\') {
                            i++;
                            if (i == eol) {
                                return -1;
                            }
                            c = b[i] & 0xff;
                        }
                        if (c < 0x20 && c != HT || c == 0x7f) {
                            return -1;
                        }
                        i++;
                    }
                    if (i == eol) {
                        return -1;
                    }
                    i++;
                } else {
                    int value = i;
                    while (i < eol && TCHAR[b[i] & 0xff]) {
                        i++;
                    }
                    if (i == value) {
                        return -1;
                    }
                }
            }
        }
        return size;
    }

    private static int bws(byte[] b, int i, int eol) {
        while (i < eol && (b[i] == SP || b[i] == HT)) {
            i++;
        }
        return i;
    }

    /** The index of the CR of the CR LF that ends the line starting at {@code from}, or -1 (bare CR or LF). */
    private static int lineEnd(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == CR) {
                return i + 1 < to && b[i + 1] == LF ? i : -1;
            }
            if (b[i] == LF) {
                return -1;
            }
        }
        return -1;
    }

    /**
     * Why {@code b[from, to)} is not an absolute-form this origin server serves, or null. RFC 9112
     * §3.2.2 has a server accept absolute-form; the URIs it serves are http and https ones (RFC 9110
     * §4.2), so the scheme must be one of them (case-insensitive, RFC 3986 §3.1) with an authority:
     * {@code scheme "://" host [":" port]} then a path, a query or nothing. An empty host is invalid
     * (RFC 9110 §4.2.1), and so is userinfo, which a recipient should treat as an error (§4.2.4).
     * Anything else (another scheme, {@code x:80}, {@code http:x}) is refused, as nginx does.
     */
    private static String absoluteForm(byte[] b, int from, int to) {
        int colon = from;
        while (colon < to && SCHEME[b[colon] & 0xff]) {
            colon++;
        }
        if (colon == to || b[colon] != ':' || colon == from || !letter(b[from])) {
            return "the request-target is neither origin-form (/path) nor absolute-form (http://host/path)"
                    + " (RFC 9112 §3.2)";
        }
        if (!isIgnoreCase(b, from, colon, "http") && !isIgnoreCase(b, from, colon, "https")) {
            return "an absolute-form request-target whose scheme is not http or https (RFC 9112 §3.2.2, RFC 9110 §4.2)";
        }
        int authority = colon + 3;
        if (authority > to || b[colon + 1] != '/' || b[colon + 2] != '/') {
            return "an http or https URI without an authority (RFC 9110 §4.2.1)";
        }
        int end = authority;
        while (end < to && b[end] != '/' && b[end] != '?') {
            if (b[end] == '@') {
                return "userinfo in an http or https URI (RFC 9110 §4.2.4)";
            }
            end++;
        }
        if (!validAuthority(b, authority, end, true, false)) {
            return "the authority of an absolute-form request-target is not a valid host[:port] (RFC 9110 §4.2.1,"
                    + " RFC 3986 §3.2)";
        }
        return null;
    }

    /** Host = uri-host [ ":" port ] (RFC 9110 §7.2); empty is allowed (RFC 9112 §3.2). */
    static boolean validHost(byte[] b, int from, int to) {
        return validAuthority(b, from, to, false, false);
    }

    /**
     * Whether {@code b[from, to)} is {@code uri-host [":" port]} (RFC 3986 §3.2.2, §3.2.3), with a
     * port of at most 65535 (TCP's; Vert.x's own parser refuses more, so a larger one would be a
     * request the two parsers disagree on). {@code hostRequired}: the host may not be empty;
     * {@code portRequired}: {@code ":" 1*DIGIT} must follow (authority-form).
     *
     * <p>The host is an IP-literal ({@code [IPv6address]} or {@code [IPvFuture]}), or a reg-name of
     * unreserved and sub-delims characters (an IPv4address is one). Percent-encoding, which RFC 3986
     * allows in a reg-name, is refused: no DNS name holds one, and Vert.x 5.0.7's authority parser
     * ({@code HostAndPortImpl.parseRegName}) indexes the string by the '%' character instead of its
     * position, so such a Host made the admin API throw and never answer.
     */
    static boolean validAuthority(byte[] b, int from, int to, boolean hostRequired, boolean portRequired) {
        int i = from;
        if (i < to && b[i] == '[') {
            int close = i + 1;
            while (close < to && b[close] != ']') {
                close++;
            }
            if (close == to || !ipv6(b, i + 1, close) && !ipvFuture(b, i + 1, close)) {
                return false;
            }
            i = close + 1;
        } else {
            while (i < to && b[i] != ':') {
                if (!REG_NAME[b[i] & 0xff]) {
                    return false;
                }
                i++;
            }
        }
        if (hostRequired && i == from) {
            return false;
        }
        if (i == to) {
            return !portRequired;
        }
        if (b[i] != ':' || portRequired && i + 1 == to) {
            return false;
        }
        int port = 0;
        for (i++; i < to; i++) {
            if (!digit(b[i])) {
                return false;
            }
            port = port * 10 + (b[i] - '0');
            if (port > 65535) {
                return false;
            }
        }
        return true;
    }

    /**
     * RFC 3986 §3.2.2 IPv6address: eight h16 (1-4 hex digits) separated by ':', the last two of which
     * may be an IPv4address, or fewer around a single "::" that stands for at least one.
     */
    static boolean ipv6(byte[] b, int from, int to) {
        int groups = 0;
        boolean elided = false;
        int i = from;
        if (i + 1 < to && b[i] == ':' && b[i + 1] == ':') {
            elided = true;
            i += 2;
            if (i == to) {
                return true;
            }
        }
        while (true) {
            int j = i;
            while (j < to && j - i < 5 && hex(b[j])) {
                j++;
            }
            if (j < to && b[j] == '.') {
                // ls32 as an IPv4address: only at the end.
                if (!ipv4(b, i, to)) {
                    return false;
                }
                groups += 2;
                break;
            }
            if (j == i || j - i > 4) {
                return false;
            }
            groups++;
            if (j == to) {
                break;
            }
            if (b[j] != ':' || j + 1 == to) {
                return false;
            }
            j++;
            if (b[j] == ':') {
                if (elided) {
                    return false;
                }
                elided = true;
                j++;
                if (j == to) {
                    break;
                }
            }
            i = j;
        }
        return elided ? groups <= 7 : groups == 8;
    }

    /** RFC 3986 §3.2.2 IPv4address: four dec-octets (0-255, no leading zero) separated by '.'. */
    private static boolean ipv4(byte[] b, int from, int to) {
        int i = from;
        for (int octet = 0; octet < 4; octet++) {
            if (octet > 0) {
                if (i == to || b[i] != '.') {
                    return false;
                }
                i++;
            }
            int start = i;
            int value = 0;
            while (i < to && i - start < 3 && digit(b[i])) {
                value = value * 10 + (b[i] - '0');
                i++;
            }
            if (i == start || value > 255 || i - start > 1 && b[start] == '0') {
                return false;
            }
        }
        return i == to;
    }

    /** RFC 3986 §3.2.2 IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ). */
    private static boolean ipvFuture(byte[] b, int from, int to) {
        if (from == to || b[from] != 'v' && b[from] != 'V') {
            return false;
        }
        int i = from + 1;
        while (i < to && hex(b[i])) {
            i++;
        }
        if (i == from + 1 || i == to || b[i] != '.' || i + 1 == to) {
            return false;
        }
        for (i++; i < to; i++) {
            if (!REG_NAME[b[i] & 0xff] && b[i] != ':') {
                return false;
            }
        }
        return true;
    }

    /** 1*DIGIT as a long (at most 18 digits), or -1. */
    private static long digits(byte[] b, int from, int to) {
        if (from == to || to - from > 18) {
            return -1;
        }
        long n = 0;
        for (int i = from; i < to; i++) {
            if (!digit(b[i])) {
                return -1;
            }
            n = n * 10 + (b[i] - '0');
        }
        return n;
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static boolean letter(byte c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    static boolean hex(byte c) {
        return digit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    private static boolean is(byte[] b, int from, int to, String s) {
        if (to - from != s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (b[from + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isIgnoreCase(byte[] b, int from, int to, String lower) {
        if (to - from != lower.length()) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            int c = b[from + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** For tests and error bodies. */
    static RequestHead parse(String head) {
        byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
        return parse(b, 0, b.length);
    }
}
