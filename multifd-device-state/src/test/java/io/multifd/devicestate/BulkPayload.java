package io.multifd.devicestate;

import io.multifd.api.SendData;
import io.multifd.api.SendSession;
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

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A RAM-like bulk payload for tests and the benchmark stand-in: copies one large source region
 * into one destination region of the same size, in chunks, each packet an offset (8 bytes) plus
 * a view of the source. Used to run a second payload alongside device state in one migration.
 */
final class BulkPayload implements PayloadPlugin<BulkPayload.Body> {

    static final int ID = 1100;

    /** A chunk: offset and length into the shared source. */
    static final class Body {
        long offset;
        int length;
    }

    private final ByteBuffer source;
    private final ByteBuffer destination;

    /** Sender side: {@code source}; receiver side: {@code destination}. Either may be null. */
    BulkPayload(ByteBuffer source, ByteBuffer destination) {
        this.source = source;
        this.destination = destination;
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return "ds-test-bulk";
    }

    @Override
    public Body newBody() {
        return new Body();
    }

    @Override
    public void resetBody(Body body) {
        body.offset = 0;
        body.length = 0;
    }

    @Override
    public PayloadEncoder<Body> newEncoder(SendChannelContext context) {
        ByteBuffer view = source.duplicate();
        return (body, packet) -> {
            packet.header().putLong(body.offset);
            view.limit((int) (body.offset + body.length)).position((int) body.offset);
            packet.addData(view);
        };
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        if (setupRecord.remaining() != 8 || setupRecord.getLong(setupRecord.position()) != destination.capacity()) {
            throw new SetupRefusedException("ds-test-bulk: size mismatch");
        }
        return channelId -> new PayloadChannelReceiver() {
            private final ByteBuffer view = destination.duplicate();

            @Override
            public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
                if (packet.header().limit() != 8) {
                    throw packet.malformed("ds-test-bulk.header", packet.header().limit(), "must be 8");
                }
                long offset = packet.header().getLong(0);
                if (offset < 0 || offset + packet.rawLength() > view.capacity()) {
                    throw packet.malformed("ds-test-bulk.offset", offset, "outside the destination");
                }
                view.clear().position((int) offset).limit((int) offset + packet.rawLength());
                targets.add(view);
                packet.countItems(1, 0);
            }
        };
    }

    /** Declares the setup record. Before connect. */
    void declare(SendSession session) {
        session.declare(this, ByteBuffer.allocate(8).putLong(0, source.capacity()));
    }

    /** Sends the whole source in chunks from the calling thread, with its own slot. */
    void sendAll(SendSession session, int chunk) throws IOException {
        SendData slot = session.newSlot();
        for (long off = 0; off < source.capacity(); off += chunk) {
            Body b = slot.fill(this);
            b.offset = off;
            b.length = (int) Math.min(chunk, source.capacity() - off);
            slot = session.send(slot);
        }
    }
}
