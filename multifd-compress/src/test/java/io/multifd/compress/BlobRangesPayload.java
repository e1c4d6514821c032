package io.multifd.compress;

import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;

import java.nio.ByteBuffer;

/**
 * A test payload: ranges of one blob. The setup record is the blob's length (u64); each packet's
 * payload header is {@code u64 offset, u32 length}, and its data is that range, added as one
 * buffer per 4 KiB page on the sender and received into one target per 4 KiB page. The receiver
 * checks every header field against its own destination before naming targets.
 */
final class BlobRangesPayload implements PayloadPlugin<BlobRangesPayload.Range> {

    static final int ID = 1_017;
    static final int PIECE = 4096;
    static final long MAX_BLOB = 64 << 20;

    /** One range of the source blob: what a slot carries. */
    static final class Range {
        long offset;
        int length;
    }

    private final ByteBuffer source;
    private volatile ByteBuffer destination;

    /** Sender side: ranges of {@code source}. */
    static BlobRangesPayload sender(ByteBuffer source) {
        return new BlobRangesPayload(source);
    }

    /** Receiver side: the destination is made from the setup record. */
    static BlobRangesPayload receiver() {
        return new BlobRangesPayload(null);
    }

    private BlobRangesPayload(ByteBuffer source) {
        this.source = source;
    }

    ByteBuffer destination() {
        return destination;
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return "compress-test-blob";
    }

    @Override
    public Range newBody() {
        return new Range();
    }

    @Override
    public void resetBody(Range body) {
        body.offset = 0;
        body.length = 0;
    }

    @Override
    public PayloadEncoder<Range> newEncoder(SendChannelContext context) {
        return (body, packet) -> prepare(body, packet);
    }

    private void prepare(Range body, OutgoingPacket packet) {
        packet.header().putLong(body.offset).putInt(body.length);
        int at = Math.toIntExact(body.offset);
        int end = at + body.length;
        while (at < end) {
            int n = Math.min(PIECE, end - at);
            packet.addData(source.slice(at, n));
            at += n;
        }
        packet.countItems(1, 0);
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        if (setupRecord.remaining() != 8) {
            throw new SetupRefusedException("compress-test-blob: setup record must be 8 bytes, not "
                    + setupRecord.remaining());
        }
        long length = setupRecord.getLong(setupRecord.position());
        if (length < 0 || length > MAX_BLOB) {
            throw new SetupRefusedException("compress-test-blob: blob length " + length + " over " + MAX_BLOB);
        }
        ByteBuffer dst = ByteBuffer.allocateDirect((int) length);
        destination = dst;
        return channelId -> new PayloadChannelReceiver() {
            @Override
            public void begin(IncomingPacket packet, DataTargets targets) throws java.io.IOException {
                ByteBuffer h = packet.header();
                if (h.remaining() != 12) {
                    throw packet.malformed("compress-test-blob.header", h.remaining(), "must be 12 bytes");
                }
                long offset = h.getLong(0);
                int len = h.getInt(8);
                if (offset < 0 || len <= 0 || offset > dst.capacity() - (long) len) {
                    throw packet.malformed("compress-test-blob.range", offset + "+" + len,
                            "outside the blob of " + dst.capacity() + " bytes");
                }
                if (len != packet.rawLength()) {
                    throw packet.malformed("compress-test-blob.length", len, "differs from the raw length "
                            + packet.rawLength());
                }
                int at = (int) offset;
                int end = at + len;
                while (at < end) {
                    int n = Math.min(PIECE, end - at);
                    targets.add(dst.slice(at, n));
                    at += n;
                }
                packet.countItems(1, 0);
            }
        };
    }
}
