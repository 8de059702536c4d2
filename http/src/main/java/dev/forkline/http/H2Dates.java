package dev.forkline.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code Date} header on HTTP/2 responses (RFC 9110 §6.6.1 is for every version), at the frame
 * level, for any server behind the guard: Vert.x's HTTP/2 handler encodes its headers itself, so there
 * is no response object to add it to as {@link RequestGuard.Exchanges} does for HTTP/1.1.
 *
 * <p>It sits behind the guard once a connection speaks HTTP/2 (the preface, or a 101 to
 * {@code Upgrade: h2c}) and sees every frame the server writes. Frames other than header blocks pass
 * untouched, without a copy. A header block (HEADERS or PUSH_PROMISE and its CONTINUATIONs) is held
 * until complete and decoded with Netty's HPACK decoder, which follows the server encoder's dynamic
 * table block by block; a final response ({@code :status} 2xx to 5xx) without {@code date} gets one
 * appended as a literal field without indexing (RFC 7541 §6.2.2), which leaves both sides' dynamic
 * tables as they are. It goes into the block's last frame, or into one more CONTINUATION frame when
 * that frame would pass 16 384 bytes, the size every peer accepts (RFC 9113 §4.2). Should a block
 * ever fail to decode, the handler stops changing anything on that connection (it still follows the
 * frames, so nothing it holds is lost or reordered).
 */
final class H2Dates extends ChannelOutboundHandlerAdapter {
    static final String NAME = "forklineH2Dates";
    private static final Logger LOG = Logger.getLogger(H2Dates.class.getName());
    private static final int FRAME_HEADER = Http2CodecUtil.FRAME_HEADER_LENGTH;
    private static final int HEADERS = 0x1;
    private static final int PUSH_PROMISE = 0x5;
    private static final int CONTINUATION = 0x9;
    private static final int END_HEADERS = 0x4;
    private static final int PADDED = 0x8;
    private static final int PRIORITY = 0x20;
    /** "date" in HPACK's static table (RFC 7541 Appendix A). */
    private static final int DATE_INDEX = 33;

    private final DefaultHttp2HeadersDecoder decoder =
            new DefaultHttp2HeadersDecoder(false, Http2CodecUtil.MAX_HEADER_LIST_SIZE);
    /** A frame header cut by the end of a write. */
    private ByteBuf header;
    /** Payload bytes still to pass of a frame that is not a header block's. */
    private long skip;
    /** The header block's frame being completed, and how much of its payload is still to come. */
    private ByteBuf current;
    private int payloadLeft;
    /** The complete frames of the header block being held. */
    private final List<ByteBuf> block = new ArrayList<>();
    /** Promises of writes whose bytes are (or were, with later ones) held. */
    private final List<ChannelPromise> waiting = new ArrayList<>();
    private boolean failed;

    H2Dates() {
        try {
            // Accept whatever table size the server's encoder announces: it obeys the client's settings.
            decoder.maxHeaderTableSize(Http2CodecUtil.MAX_HEADER_TABLE_SIZE);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean holding() {
        return header != null || current != null || !block.isEmpty();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf in) || !in.isReadable()) {
            if (msg instanceof FileRegion region && !holding()) {
                skip -= Math.min(skip, region.count()); // a DATA payload sent from a file
            }
            ctx.write(msg, promise);
            return;
        }
        if (!holding() && skip >= in.readableBytes()) {
            skip -= in.readableBytes(); // inside a DATA (or other) frame: as it is
            ctx.write(msg, promise);
            return;
        }
        List<ByteBuf> out = new ArrayList<>();
        try {
            while (in.isReadable()) {
                if (skip > 0) {
                    int n = (int) Math.min(skip, in.readableBytes());
                    out.add(in.readRetainedSlice(n));
                    skip -= n;
                } else if (current != null) {
                    int n = Math.min(payloadLeft, in.readableBytes());
                    current.writeBytes(in, n);
                    payloadLeft -= n;
                    if (payloadLeft == 0) {
                        frameComplete(ctx, out);
                    }
                } else {
                    if (header == null) {
                        header = ctx.alloc().buffer(FRAME_HEADER);
                    }
                    header.writeBytes(in, Math.min(FRAME_HEADER - header.readableBytes(), in.readableBytes()));
                    if (header.readableBytes() == FRAME_HEADER) {
                        frameHeader(ctx, out);
                    }
                }
            }
        } finally {
            in.release();
        }
        if (!promise.isVoid()) {
            waiting.add(promise);
        }
        if (out.isEmpty()) {
            return; // all of it held
        }
        ByteBuf data = out.size() == 1 ? out.get(0) : ctx.alloc().compositeBuffer(out.size()).addComponents(true, out);
        ChannelPromise written = ctx.newPromise();
        if (!holding()) {
            // Every byte of the waiting writes is in this one or an earlier one.
            List<ChannelPromise> done = new ArrayList<>(waiting);
            waiting.clear();
            written.addListener(f -> done.forEach(p -> {
                if (f.isSuccess()) {
                    p.trySuccess();
                } else {
                    p.tryFailure(f.cause());
                }
            }));
        }
        ctx.write(data, written);
    }

    private void frameHeader(ChannelHandlerContext ctx, List<ByteBuf> out) {
        ByteBuf h = header;
        header = null;
        int length = h.getUnsignedMedium(0);
        int type = h.getUnsignedByte(3);
        if (type == HEADERS || type == PUSH_PROMISE || type == CONTINUATION && !block.isEmpty()) {
            current = ctx.alloc().buffer(FRAME_HEADER + length);
            current.writeBytes(h);
            h.release();
            payloadLeft = length;
            if (length == 0) {
                frameComplete(ctx, out);
            }
        } else {
            out.add(h);
            skip = length;
        }
    }

    private void frameComplete(ChannelHandlerContext ctx, List<ByteBuf> out) {
        ByteBuf frame = current;
        current = null;
        block.add(frame);
        if ((frame.getUnsignedByte(4) & END_HEADERS) == 0) {
            return; // CONTINUATION frames follow
        }
        ByteBuf first = block.get(0);
        int type = first.getUnsignedByte(3);
        int stream = first.getInt(5) & 0x7fffffff;
        if (failed) {
            out.addAll(block);
            block.clear();
            return;
        }
        ByteBuf fragments = ctx.alloc().buffer();
        try {
            for (int i = 0; i < block.size(); i++) {
                ByteBuf f = block.get(i);
                fragments.writeBytes(f, fragmentStart(f, i == 0 ? type : CONTINUATION), fragmentLength(f, i == 0 ? type : CONTINUATION));
            }
            Http2Headers headers = decoder.decodeHeaders(stream, fragments);
            CharSequence status = headers.status();
            if (type == HEADERS && status != null && status.length() == 3 && status.charAt(0) >= '2'
                    && !headers.contains(HttpHeaderNames.DATE)) {
                addDate(ctx, stream, type);
            }
        } catch (Http2Exception | RuntimeException e) {
            // The HPACK state is lost: change nothing more on this connection.
            failed = true;
            LOG.log(Level.FINE, "HTTP/2 header block not decoded; Date no longer added on this connection", e);
        } finally {
            fragments.release();
        }
        out.addAll(block);
        block.clear();
    }

    /** Where the header block fragment starts in a frame: after Pad Length, the priority fields or the promised stream. */
    private static int fragmentStart(ByteBuf frame, int type) {
        int flags = frame.getUnsignedByte(4);
        int start = FRAME_HEADER;
        if (type != CONTINUATION && (flags & PADDED) != 0) {
            start++;
        }
        if (type == HEADERS && (flags & PRIORITY) != 0) {
            start += 5;
        }
        if (type == PUSH_PROMISE) {
            start += 4;
        }
        return start;
    }

    private static int fragmentLength(ByteBuf frame, int type) {
        int padding = type != CONTINUATION && (frame.getUnsignedByte(4) & PADDED) != 0 ? frame.getUnsignedByte(FRAME_HEADER) : 0;
        return FRAME_HEADER + frame.getUnsignedMedium(0) - padding - fragmentStart(frame, type);
    }

    /** Appends {@code date: <now>} to the held block: in its last frame, or in one more CONTINUATION. */
    private void addDate(ChannelHandlerContext ctx, int stream, int firstType) {
        AsciiString date = HttpDate.now();
        // Literal Header Field without Indexing, indexed name (RFC 7541 §6.2.2): 0000 + 4-bit prefix index.
        ByteBuf field = ctx.alloc().buffer(3 + date.length());
        field.writeByte(0x0f).writeByte(DATE_INDEX - 15);
        field.writeByte(date.length()); // under 127: one byte, no Huffman (RFC 7541 §5.2)
        field.writeBytes(date.array(), date.arrayOffset(), date.length());
        int last = block.size() - 1;
        ByteBuf frame = block.get(last);
        int type = last == 0 ? firstType : CONTINUATION;
        int length = frame.getUnsignedMedium(0);
        int added = field.readableBytes();
        if (length + added <= Http2CodecUtil.DEFAULT_MAX_FRAME_SIZE) {
            int at = fragmentStart(frame, type) + fragmentLength(frame, type); // before any padding
            ByteBuf grown = ctx.alloc().buffer(frame.readableBytes() + added);
            grown.writeBytes(frame, 0, at).writeBytes(field).writeBytes(frame, at, frame.readableBytes() - at);
            grown.setMedium(0, length + added);
            frame.release();
            block.set(last, grown);
        } else {
            frame.setByte(4, frame.getUnsignedByte(4) & ~END_HEADERS);
            ByteBuf continuation = ctx.alloc().buffer(FRAME_HEADER + added);
            continuation.writeMedium(added).writeByte(CONTINUATION).writeByte(END_HEADERS).writeInt(stream);
            continuation.writeBytes(field);
            block.add(continuation);
        }
        field.release();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ClosedChannelException closed = new ClosedChannelException();
        waiting.forEach(p -> p.tryFailure(closed));
        waiting.clear();
        if (header != null) {
            header.release();
            header = null;
        }
        if (current != null) {
            current.release();
            current = null;
        }
        block.forEach(ByteBuf::release);
        block.clear();
    }
}
