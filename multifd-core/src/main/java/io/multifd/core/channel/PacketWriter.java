/*
 * Copyright The multifd-java authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.multifd.core.channel;

import io.multifd.api.DataChecksum;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.SendData;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecEncoder;
import io.multifd.api.CodecOptions;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.core.session.PayloadCounters;
import io.multifd.core.wire.Crc;
import io.multifd.core.wire.EndExchange;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Turns one channel's slots and control requests into packets: the payload plug-in prepares the
 * payload header and data, the session's codec encodes the data, the CRCs are computed, and the
 * header, payload header and data go out in one gathering write. Also the plug-ins' view of the
 * packet being prepared ({@link OutgoingPacket}, {@link SendChannelContext}, {@link CodecContext}).
 *
 * <p>Confined to the channel thread, except the statistics getters (volatile, any thread).
 * Allocates nothing per packet: every buffer and array is made once (the staging buffer for
 * checksummed raw data on first use).
 */
final class PacketWriter implements OutgoingPacket, SendChannelContext, CodecContext, CodecEncoder.EncodeSink {

    /** For control packets, which never wait for bandwidth; non-capturing, so made once. */
    private static final BooleanSupplier NEVER = () -> false;

    private final int id;
    private final int channelCount;
    private final MultiFdConfig config;
    private final PayloadPlugin<?>[] plugins;
    private final PayloadCounters[] counters;
    private final RateLimiter limiter;
    private final BooleanSupplier failed;

    private final PacketHeader header = new PacketHeader();
    private final ByteBuffer headerBuf = ByteBuffer.allocateDirect(Wire.PACKET_HEADER_LENGTH);
    private final ByteBuffer payloadHeader;
    /** [0] packet header, [1] payload header, [2..] data (or the one encoded/staged buffer). */
    private ByteBuffer[] gather = new ByteBuffer[16];
    private int dataCount;
    private int dataLength;
    /** True while every data buffer of the packet being prepared was added as stable. */
    private boolean allStable;
    private long items;
    private long elided;
    private final PayloadEncoder<?>[] encoders;
    private final Crc crc = new Crc();
    private Codec codec;
    private CodecEncoder codecEncoder;
    private ByteBuffer encoded;
    private boolean encodedReset;
    private ByteBuffer staging;
    private ChannelIo io;
    /**
     * While a packet's bytes are being written: how many entries of {@link #gather} it has (their
     * positions say what is written); 0 between packets. Lets a failure in the middle of a packet
     * end the stream at a packet boundary ({@link #finishInterruptedPacket}).
     */
    private int writing;
    /** The wire length of the packet being written (see {@link #writing}). */
    private long writingTotal;
    private long sequence;
    private long epoch;

    // statistics: written by the channel thread only, read by any thread
    private volatile long packets;
    private volatile long rawBytes;
    private volatile long wireBytes;
    private volatile long syncs;
    // the counters as they were when the last SYNC was written; published by the write of syncs
    private long packetsAtSync;
    private long rawAtSync;
    private long wireAtSync;

    /**
     * @param id           the channel id
     * @param channelCount the session's channel count
     * @param config       the configuration
     * @param plugins      the session's payload plug-ins, in registry order
     * @param counters     their counters, same order
     * @param limiter      the bandwidth cap, or null
     * @param failed       true once the migration failed (stops waiting for bandwidth)
     */
    PacketWriter(int id, int channelCount, MultiFdConfig config, PayloadPlugin<?>[] plugins, PayloadCounters[] counters,
                 RateLimiter limiter, BooleanSupplier failed) {
        this.id = id;
        this.channelCount = channelCount;
        this.config = config;
        this.plugins = plugins;
        this.counters = counters;
        this.limiter = limiter;
        this.failed = failed;
        this.payloadHeader = ByteBuffer.allocateDirect(config.maxPayloadHeaderLength());
        this.encoders = new PayloadEncoder<?>[plugins.length];
    }

    /** Counts the handshake's bytes; the channel is connected on {@code io}. */
    void handshakeWritten(ChannelIo io) {
        this.io = io;
        wireBytes = io.outOffset();
    }

    /** Makes the codec's encoder for this channel; before the first packet. */
    void startStreaming(Codec codec, CodecOptions options) throws IOException {
        this.codec = codec;
        this.codecEncoder = codec.newEncoder(options, this);
    }

    long packets() {
        return packets;
    }

    long rawBytes() {
        return rawBytes;
    }

    long wireBytes() {
        return wireBytes;
    }

    long syncs() {
        return syncs;
    }

    /** Data packets written before the last SYNC; read after {@link #syncs()} showed that SYNC. */
    long packetsAtSync() {
        return packetsAtSync;
    }

    /** Raw bytes written before the last SYNC; read after {@link #syncs()} showed that SYNC. */
    long rawAtSync() {
        return rawAtSync;
    }

    /** Wire bytes up to and including the last SYNC; read after {@link #syncs()} showed that SYNC. */
    long wireAtSync() {
        return wireAtSync;
    }

    // ---- contexts for plug-ins

    @Override
    public int channelId() {
        return id;
    }

    @Override
    public int channelCount() {
        return channelCount;
    }

    @Override
    public MultiFdConfig config() {
        return config;
    }

    @Override
    public int maxDataLength() {
        return config.maxPacketDataLength();
    }

    @Override
    public ByteBuffer header() {
        return payloadHeader;
    }

    @Override
    public void addData(ByteBuffer data) {
        add(data, false);
    }

    @Override
    public void addStableData(ByteBuffer data) {
        add(data, true);
    }

    private void add(ByteBuffer data, boolean stable) {
        allStable &= stable;
        int r = data.remaining();
        if ((long) dataLength + r > config.maxPacketDataLength()) {
            throw new IllegalArgumentException("packet data would be " + ((long) dataLength + r)
                    + " bytes, over maxPacketDataLength " + config.maxPacketDataLength());
        }
        if (r == 0) {
            return;
        }
        if (dataCount + 3 > gather.length) {
            gather = Arrays.copyOf(gather, gather.length * 2);
        }
        gather[2 + dataCount++] = data;
        dataLength += r;
    }

    @Override
    public int dataLength() {
        return dataLength;
    }

    @Override
    public void countItems(long itemCount, long elidedCount) {
        items += itemCount;
        elided += elidedCount;
    }

    @Override
    public void encoded(ByteBuffer bytes, boolean streamReset) {
        encoded = bytes;
        encodedReset = streamReset;
    }

    // ---- packets

    /**
     * Checks, before the packet starts, that its data buffers still hold what the header will
     * announce: a plug-in's encoder that moved a buffer's position or limit after adding it, or a
     * codec that read with relative gets before it declined to encode, would otherwise leave the
     * stream short of bytes (the receiver waiting for them until its I/O timeout).
     */
    private void checkDataLength(PayloadPlugin<?> p, int gatherCount, long announced) {
        long held = 0;
        for (int i = 2; i < gatherCount; i++) {
            held += gather[i].remaining();
        }
        if (held != announced) {
            throw new IllegalStateException("payload '" + p.name() + "': the packet's data buffers hold " + held
                    + " bytes where " + announced + " were added: a buffer's position or limit changed after "
                    + "addData (by the plug-in's encoder, or by codec '" + codec.name() + "' before it declined to "
                    + "encode); buffers handed over must not be moved");
        }
    }

    /**
     * Writes the packet for one slot and clears the slot.
     *
     * @param s the filled slot, owned by the channel thread
     * @throws IOException if the plug-in, the codec or the transport fails
     */
    void writeJob(SendData s) throws IOException {
        PayloadPlugin<?> p = s.plugin();
        int idx = indexOf(p);
        payloadHeader.clear();
        dataCount = 0;
        dataLength = 0;
        allStable = true;
        items = 0;
        elided = 0;
        encoded = null;
        try {
            prepare(idx, p, s.body());
        } catch (BufferOverflowException e) {
            // the payload header's buffer, or one of the plug-in's own: say both, with where the header stood
            throw new IOException("payload '" + p.name() + "' overflowed a buffer while preparing a packet: its "
                    + "payload header may be at most maxPayloadHeaderLength " + config.maxPayloadHeaderLength()
                    + " bytes (" + payloadHeader.position() + " written when it overflowed), or it overflowed a "
                    + "buffer of its own", e);
        }
        payloadHeader.flip();
        int raw = dataLength;
        int flags = 0;
        int gatherCount = 2 + dataCount;
        long wireData = raw;
        header.dataCrc = 0;
        if (raw > 0) {
            if (codecEncoder.encode(gather, 2, dataCount, raw, this)) {
                ByteBuffer e = encoded;
                if (e == null || e.remaining() <= 0 || e.remaining() >= raw) {
                    throw new IOException("codec '" + codec.name() + "' returned "
                            + (e == null ? "nothing" : e.remaining() + " bytes") + " for " + raw
                            + " raw bytes (must be 1 to raw length - 1)");
                }
                if (encodedReset) {
                    flags |= Wire.FLAG_RESET;
                }
                if (config.dataChecksum() != DataChecksum.OFF) {
                    header.dataCrc = crc.of(e, e.position(), e.limit());
                    flags |= Wire.FLAG_DATA_CRC;
                }
                gather[2] = e;
                gatherCount = 3;
                wireData = e.remaining();
            } else {
                flags |= Wire.FLAG_RAW;
                if (allStable && config.dataChecksum() != DataChecksum.OFF) {
                    // stable bytes: checksummed where they are, no copy
                    crc.reset();
                    for (int i = 0; i < dataCount; i++) {
                        ByteBuffer d = gather[2 + i];
                        crc.update(d, d.position(), d.limit());
                    }
                    header.dataCrc = crc.value();
                    flags |= Wire.FLAG_DATA_CRC;
                } else if (config.dataChecksum() == DataChecksum.ALL) {
                    header.dataCrc = crc.of(stageRaw(), 0, staging.limit());
                    flags |= Wire.FLAG_DATA_CRC;
                    gather[2] = staging;
                    gatherCount = 3;
                }
            }
        }
        checkDataLength(p, gatherCount, wireData); // before this packet takes a sequence number
        header.typeId = p.id();
        header.flags = flags;
        header.sequence = sequence++;
        header.epoch = epoch;
        header.headerLength = payloadHeader.remaining();
        header.rawLength = raw;
        header.encodedLength = wireData;
        header.payloadHeaderCrc = payloadHeader.hasRemaining() ? crc.of(payloadHeader, 0, payloadHeader.limit()) : 0;
        header.encode(headerBuf);
        gather[0] = headerBuf;
        gather[1] = payloadHeader;
        long total = Wire.PACKET_HEADER_LENGTH + (long) payloadHeader.remaining() + wireData;
        writing = gatherCount;
        writingTotal = total;
        io.writeFully(gather, 0, gatherCount, total, limiter, failed, "packet");
        writing = 0;
        for (int i = 2; i < gatherCount; i++) {
            gather[i] = null; // do not keep the plug-in's buffers reachable
        }
        packets++;
        rawBytes += raw;
        wireBytes = io.outOffset();
        counters[idx].add(raw, total, items, elided);
        s.clear();
    }

    /** Copies the data buffers into one (checksummed raw data is checksummed as one run). */
    private ByteBuffer stageRaw() {
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(config.maxPacketDataLength());
        }
        staging.clear();
        for (int i = 0; i < dataCount; i++) {
            ByteBuffer d = gather[2 + i];
            staging.put(staging.position(), d, d.position(), d.remaining());
            staging.position(staging.position() + d.remaining());
        }
        staging.flip();
        return staging;
    }

    @SuppressWarnings("unchecked")
    private <B> void prepare(int idx, PayloadPlugin<B> p, Object body) throws IOException {
        PayloadEncoder<B> enc = (PayloadEncoder<B>) encoders[idx];
        if (enc == null) {
            enc = Objects.requireNonNull(p.newEncoder(this), () -> p.name() + ": newEncoder returned null");
            encoders[idx] = enc;
        }
        enc.prepare((B) body, this);
    }

    private int indexOf(PayloadPlugin<?> p) {
        for (int i = 0; i < plugins.length; i++) {
            if (plugins[i] == p) {
                return i;
            }
        }
        return -1;
    }

    /** Writes a keepalive (a control packet without flags). */
    void writeKeepalive() throws IOException {
        writeControl(0, null);
    }

    /** Writes a SYNC marker and starts the next epoch. */
    void writeSync() throws IOException {
        writeControl(Wire.FLAG_SYNC, null);
        epoch++;
        packetsAtSync = packets;
        rawAtSync = rawBytes;
        wireAtSync = wireBytes;
        syncs++; // volatile write: publishes the three above
    }

    /** Writes EOS with this channel's data packet and raw byte counts. */
    void writeEos() throws IOException {
        writeControl(Wire.FLAG_EOS, EndExchange.eosBody(payloadHeader, packets, rawBytes));
    }

    /** Writes COMMIT. */
    void writeCommit() throws IOException {
        writeControl(Wire.FLAG_COMMIT, null);
    }

    /**
     * After a failure in the middle of a packet (the bandwidth cap's wait aborted, say): writes
     * the packet's remaining bytes without the cap, so that the stream ends at a packet boundary
     * and an ABORT can follow it. Does nothing between packets. The caller bounds the write (the
     * channel's forced close after the grace period); the packet's buffers are still the channel
     * thread's, as its slot was not released.
     *
     * @throws IOException if the transport fails
     */
    void finishInterruptedPacket() throws IOException {
        int n = writing;
        if (n == 0) {
            return;
        }
        long left = 0;
        for (int i = 0; i < n; i++) {
            left += gather[i].remaining();
        }
        if (left == writingTotal) {
            // not a byte of it went out: the stream is at a packet boundary already, and the
            // packet's sequence number goes to what follows (the ABORT)
            writing = 0;
            sequence--;
            return;
        }
        io.writeFully(gather, 0, n, left, null, NEVER, "the rest of an interrupted packet");
        writing = 0;
        // not counted: after a failure the receiver may or may not apply it (it stops at the first ABORT it reads)
    }

    /**
     * Writes ABORT with a reason.
     *
     * @param reason the UTF-8 reason, at most {@link Wire#MAX_ABORT_MESSAGE} bytes
     */
    void writeAbort(byte[] reason) throws IOException {
        writeControl(Wire.FLAG_ABORT, ByteBuffer.wrap(reason));
    }

    /** Writes a control packet (type 0): keepalive, SYNC, EOS, COMMIT or ABORT. */
    private void writeControl(int flags, ByteBuffer body) throws IOException {
        header.typeId = 0;
        header.flags = flags;
        header.sequence = sequence++;
        header.epoch = epoch;
        header.headerLength = body == null ? 0 : body.remaining();
        header.rawLength = 0;
        header.encodedLength = 0;
        header.dataCrc = 0;
        header.payloadHeaderCrc = body == null || !body.hasRemaining() ? 0 : crc.of(body, body.position(), body.limit());
        header.encode(headerBuf);
        gather[0] = headerBuf;
        int count = 1;
        long total = Wire.PACKET_HEADER_LENGTH;
        if (body != null && body.hasRemaining()) {
            gather[1] = body;
            count = 2;
            total += body.remaining();
        }
        io.writeFully(gather, 0, count, total, null, NEVER, "control packet");
        wireBytes = io.outOffset();
    }

    /** Closes the payload encoders and the codec encoder; logs their failures. Channel thread, at its end. */
    void close(System.Logger log) {
        for (int i = 0; i < encoders.length; i++) {
            if (encoders[i] != null) {
                try {
                    encoders[i].close();
                } catch (RuntimeException e) {
                    log.log(System.Logger.Level.DEBUG, "payload encoder close failed", e);
                }
                encoders[i] = null;
            }
        }
        if (codecEncoder != null) {
            try {
                codecEncoder.close();
            } catch (RuntimeException e) {
                log.log(System.Logger.Level.DEBUG, "codec encoder close failed", e);
            }
        }
    }
}
