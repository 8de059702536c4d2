package dev.forkline.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * {@link H2Dates} on what Netty's own HTTP/2 frame writer (the one behind Vert.x's HTTP/2 server, with
 * its HPACK encoder) produces, read back by Netty's frame reader as a client would: every final
 * response has one {@code date}, nothing else changes, the dynamic table stays in step across many
 * responses, and the server's bytes may come in any cut.
 */
class H2DatesTest {
    private static final DefaultHttp2Headers RESPONSE = response("200");

    /** One header block as the client decodes it. */
    record Block(int stream, Http2Headers headers, String kind) {
    }

    private static DefaultHttp2Headers response(String status) {
        DefaultHttp2Headers h = new DefaultHttp2Headers();
        h.status(status);
        h.add("content-type", "text/plain; charset=utf-8");
        h.add("x-request", "the same value, indexed by the encoder after the first response");
        return h;
    }

    /** The server's bytes: {@code frames} run against Netty's frame writer. */
    private static byte[] serverWrites(Consumer<Writer> frames) {
        EmbeddedChannel capture = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        Writer w = new Writer(new DefaultHttp2FrameWriter(), capture.pipeline().firstContext());
        frames.accept(w);
        capture.flush();
        byte[] bytes = GuardedServer.outbound(capture);
        capture.finishAndReleaseAll();
        return bytes;
    }

    record Writer(DefaultHttp2FrameWriter writer, ChannelHandlerContext ctx) {
        void headers(int stream, Http2Headers h, int padding, boolean end) {
            writer.writeHeaders(ctx, stream, h, padding, end, ctx.newPromise());
        }

        void data(int stream, String body, boolean end) {
            writer.writeData(ctx, stream, Unpooled.copiedBuffer(body, StandardCharsets.US_ASCII), 0, end, ctx.newPromise());
        }
    }

    /** The bytes through {@link H2Dates}, written in pieces ending at {@code cuts}; every promise must succeed. */
    private static byte[] throughH2Dates(byte[] server, int... cuts) {
        EmbeddedChannel ch = new EmbeddedChannel(new H2Dates());
        List<ChannelFuture> writes = new ArrayList<>();
        int from = 0;
        for (int cut : cuts) {
            writes.add(ch.write(Unpooled.copiedBuffer(server, from, cut - from)));
            from = cut;
        }
        ch.flush();
        byte[] out = GuardedServer.outbound(ch);
        assertThat(writes).allSatisfy(f -> assertThat(f.isSuccess()).as("a write's promise").isTrue());
        ch.finishAndReleaseAll();
        return out;
    }

    /** What a client reads: every header block in order, and the DATA bytes. */
    private static List<Block> clientReads(byte[] bytes, StringBuilder data) throws Exception {
        List<Block> blocks = new ArrayList<>();
        DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(false, 1 << 20));
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        reader.readFrame(ch.pipeline().firstContext(), in, new Http2FrameAdapter() {
            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int stream, Http2Headers headers, int padding, boolean end) {
                blocks.add(new Block(stream, headers, "headers"));
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int stream, Http2Headers headers, int dependency,
                                      short weight, boolean exclusive, int padding, boolean end) {
                blocks.add(new Block(stream, headers, "headers"));
            }

            @Override
            public void onPushPromiseRead(ChannelHandlerContext ctx, int stream, int promised, Http2Headers headers, int padding) {
                blocks.add(new Block(stream, headers, "push"));
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int stream, ByteBuf d, int padding, boolean end) {
                data.append(d.toString(StandardCharsets.US_ASCII));
                return d.readableBytes() + padding;
            }
        });
        assertThat(in.isReadable()).as("every byte read as frames").isFalse();
        reader.close();
        ch.finishAndReleaseAll();
        return blocks;
    }

    @Test
    void everyFinalResponseGetsOneDateAndTheDynamicTableStaysInStep() throws Exception {
        byte[] server = serverWrites(w -> {
            w.writer().writeSettings(w.ctx(), new Http2Settings(), w.ctx().newPromise());
            for (int stream = 1; stream <= 9; stream += 2) {
                w.headers(stream, RESPONSE, 0, false);
                w.data(stream, "body " + stream + "\n", true);
            }
        });
        StringBuilder data = new StringBuilder();
        List<Block> blocks = clientReads(throughH2Dates(server, server.length), data);
        assertThat(blocks).hasSize(5).allSatisfy(b -> {
            assertThat(b.headers().getAll("date")).as("stream %d", b.stream()).hasSize(1);
            assertThat(b.headers().get("x-request")).hasToString(RESPONSE.get("x-request").toString());
            assertThat(b.headers().get("content-type")).hasToString(RESPONSE.get("content-type").toString());
            assertThat(b.headers().status()).hasToString("200");
        });
        assertThat(data).hasToString("body 1\nbody 3\nbody 5\nbody 7\nbody 9\n");
    }

    @Test
    void interimResponsesTrailersAndAPresentDateAreLeftAlone() throws Exception {
        DefaultHttp2Headers dated = response("404");
        dated.add("date", "Sun, 06 Nov 1994 08:49:37 GMT");
        DefaultHttp2Headers trailers = new DefaultHttp2Headers();
        trailers.add("x-checksum", "1");
        byte[] server = serverWrites(w -> {
            w.headers(1, new DefaultHttp2Headers().status("100"), 0, false);
            w.headers(1, RESPONSE, 0, false);
            w.data(1, "a", false);
            w.headers(1, trailers, 0, true);
            w.headers(3, dated, 0, true);
        });
        List<Block> blocks = clientReads(throughH2Dates(server, server.length), new StringBuilder());
        assertThat(blocks).extracting(b -> b.headers().getAll("date").size()).containsExactly(0, 1, 0, 1);
        assertThat(blocks.get(3).headers().get("date")).hasToString("Sun, 06 Nov 1994 08:49:37 GMT");
        assertThat(blocks.get(2).headers().get("x-checksum")).hasToString("1");
    }

    @Test
    void paddingPriorityAndPushPromisesAreKept() throws Exception {
        Http2Headers pushed = new DefaultHttp2Headers().method("GET").path("/style.css").scheme("http").authority("x");
        byte[] server = serverWrites(w -> {
            w.headers(1, RESPONSE, 17, false); // PADDED
            w.writer().writeHeaders(w.ctx(), 3, RESPONSE, 1, (short) 200, true, 5, false, w.ctx().newPromise()); // PRIORITY
            w.writer().writePushPromise(w.ctx(), 1, 2, pushed, 3, w.ctx().newPromise());
            w.headers(2, response("200"), 0, true);
            w.data(1, "x", true);
            w.data(3, "y", true);
        });
        StringBuilder data = new StringBuilder();
        List<Block> blocks = clientReads(throughH2Dates(server, server.length), data);
        assertThat(blocks).extracting(Block::kind).containsExactly("headers", "headers", "push", "headers");
        assertThat(blocks.get(2).headers().path()).hasToString("/style.css");
        assertThat(blocks.get(2).headers().contains("date")).isFalse();
        assertThat(List.of(blocks.get(0), blocks.get(1), blocks.get(3)))
                .allSatisfy(b -> assertThat(b.headers().getAll("date")).hasSize(1));
        assertThat(data).hasToString("xy");
    }

    /** A frame as its header says: type, flags, payload length. */
    record Frame(int type, int flags, int length) {
    }

    private static List<Frame> frames(byte[] bytes) {
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < bytes.length; ) {
            int length = (bytes[i] & 0xff) << 16 | (bytes[i + 1] & 0xff) << 8 | bytes[i + 2] & 0xff;
            frames.add(new Frame(bytes[i + 3] & 0xff, bytes[i + 4] & 0xff, length));
            i += 9 + length;
        }
        return frames;
    }

    /**
     * A header block split over CONTINUATION frames gets its date in the last one; when that frame
     * has no room left under 16 384 bytes, in one more. The value's size is searched for each case.
     */
    @Test
    void aBlockOverContinuationFramesGetsItsDateInTheLastOrInOneMore() throws Exception {
        boolean roomSeen = false;
        boolean fullSeen = false;
        for (int size = 16_384 * 2 - 300; size < 16_384 * 2 && !(roomSeen && fullSeen); size++) {
            DefaultHttp2Headers big = response("200");
            big.add("x-big", "X".repeat(size)); // 'X' is 8 bits in HPACK's Huffman code: sent as is, size bytes
            byte[] server = serverWrites(w -> w.headers(1, big, 0, true));
            List<Frame> before = frames(server);
            int last = before.get(before.size() - 1).length();
            boolean full = last > 16_384 - 32; // the date field is 32 bytes
            if (full ? fullSeen : roomSeen) {
                continue;
            }
            byte[] out = throughH2Dates(server, server.length);
            List<Frame> after = frames(out);
            assertThat(before).extracting(Frame::type).startsWith(0x1).endsWith(0x9);
            assertThat(after).as("frames for a value of %d bytes", size).hasSize(before.size() + (full ? 1 : 0))
                    .allSatisfy(f -> assertThat(f.length()).isLessThanOrEqualTo(16_384));
            assertThat(after).filteredOn(f -> (f.flags() & 0x4) != 0).as("one END_HEADERS, on the last frame")
                    .containsExactly(after.get(after.size() - 1));
            List<Block> blocks = clientReads(out, new StringBuilder());
            assertThat(blocks).singleElement().satisfies(b -> {
                assertThat(b.headers().getAll("date")).hasSize(1);
                assertThat(b.headers().get("x-big")).hasSize(big.get("x-big").length());
            });
            roomSeen |= !full;
            fullSeen |= full;
        }
        assertThat(roomSeen && fullSeen).as("both cases reached").isTrue();
    }

    @Test
    void theOutputIsTheSameWhereverTheServersWritesAreCut() throws Exception {
        byte[] server = serverWrites(w -> {
            w.headers(1, RESPONSE, 3, false);
            w.data(1, "hello", true);
            w.headers(3, response("204"), 0, true);
        });
        String whole = sameDate(throughH2Dates(server, server.length));
        assertThat(clientReads(whole.getBytes(StandardCharsets.ISO_8859_1), new StringBuilder())).hasSize(2);
        for (int at = 1; at < server.length; at++) {
            assertThat(sameDate(throughH2Dates(server, at, server.length))).as("cut at %d", at).isEqualTo(whole);
        }
        int[] everyByte = new int[server.length];
        Arrays.setAll(everyByte, i -> i + 1);
        assertThat(sameDate(throughH2Dates(server, everyByte))).isEqualTo(whole);
    }

    /** The bytes with every IMF-fixdate (a literal, never Huffman-coded here) set to one: the clock may tick meanwhile. */
    private static String sameDate(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1)
                .replaceAll("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT", "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
