package io.multifd.compress;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.IncomingPacket;

import java.nio.ByteBuffer;

/** An incoming packet as the core would describe it: only what codecs use. */
final class StubPacket implements IncomingPacket {

    private final int channel;
    private int rawLength;
    private long sequence;

    StubPacket(int channel) {
        this.channel = channel;
    }

    StubPacket rawLength(int rawLength) {
        this.rawLength = rawLength;
        this.sequence++;
        return this;
    }

    @Override
    public int channelId() {
        return channel;
    }

    @Override
    public long sequence() {
        return sequence;
    }

    @Override
    public long epoch() {
        return 0;
    }

    @Override
    public long streamOffset() {
        return sequence * 1000;
    }

    @Override
    public ByteBuffer header() {
        return ByteBuffer.allocate(0);
    }

    @Override
    public int rawLength() {
        return rawLength;
    }

    @Override
    public MalformedPacketException malformed(String field, Object value, String reason) {
        return new MalformedPacketException(ProtocolCode.MALFORMED, channel, streamOffset(), field, value, reason);
    }

    @Override
    public void countItems(long items, long elidedItems) {
    }
}
