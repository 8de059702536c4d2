package dev.forkline.worker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;

/**
 * Counts the bytes of a connection where they meet the socket: the first handler of the child
 * pipeline (installed by {@link WorkerTransport}), so it sees what the kernel gave and what is
 * handed to it, whatever codec sits above (HTTP/1.1, HTTP/2, TLS: its ciphertext). The built-in
 * line protocol's connections do not get it: their one handler ({@link LineConnection}) reads and
 * writes the socket's bytes and counts them itself, so a second count here would double them.
 *
 * <p>Why not Vert.x's metrics SPI: for HTTP it reports bodies only (its HTTP connections read
 * decoded messages, not bytes), and it reports in steps of 4 KiB per connection. Why not Netty's
 * traffic shaping counters: they keep state per channel and a timer. This handler is one shared
 * instance with no state per connection; what a connection pays is its place in the pipeline (one
 * handler context) and a virtual call per read and per write. Netty skips it for every other event
 * (it overrides only channelRead and write).
 *
 * <p>Event-loop confined, as the counters: a worker has one event loop.
 */
@ChannelHandler.Sharable
final class SocketBytes extends ChannelDuplexHandler {
    private final Counters counters;

    SocketBytes(Counters counters) {
        this.counters = counters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            counters.bytesIn += b.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    /** Counted when handed to the socket's outbound buffer: bytes written, unless the connection dies first. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) {
            counters.bytesOut += b.readableBytes();
        } else if (msg instanceof ByteBufHolder h) {
            counters.bytesOut += h.content().readableBytes();
        } else if (msg instanceof FileRegion f) {
            counters.bytesOut += f.count() - f.transferred(); // sendfile(2): a file served by an application
        }
        ctx.write(msg, promise);
    }
}
