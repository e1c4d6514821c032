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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.CodecContext;
import io.multifd.api.spi.CodecDecoder;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.core.session.ManifestApplication;
import io.multifd.core.session.SessionTerms;
import io.multifd.core.session.SessionThreads;
import io.multifd.core.wire.Crc;
import io.multifd.core.wire.EndExchange;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.wire.PacketReader;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One accepted channel of the receiver. Its thread ({@code multifd-recv-<session>-ch<id>})
 * applies the manifest (channel 0) or waits for it (the others), then reads packets with its
 * {@link PacketReader}, hands data to the payload plug-ins (decoding it with the session's codec),
 * keeps the sync barrier, and runs its part of the end of the migration. Its {@link Phase} says
 * where it is:
 * <pre>
 *  ACCEPTED ──thread starts──▶ SETUP ──manifest accepted──▶ STREAMING ◀──barrier passed── AT_SYNC
 *                                                              │  └──────SYNC read─────────▶ ▲
 *                                                              │
 *                                                           EOS read
 *                                                              ▼
 *                         COMMITTED ◀──COMMIT read── COMMITTING ◀──COMPLETED written── ENDED
 *                             │
 *                             ▼
 *  (any phase) ──migration failed──▶ DRAINING ──▶ CLOSED ◀── (COMMITTED, migration succeeded)
 * </pre>
 *
 * <p>Threads: the phase and the counters are written by the channel's thread and may be read by
 * any thread. Replies to the sender are written under the channel's write lock by whichever
 * thread sends them (the accept loop, this thread, the coordinating thread, a failing thread).
 * The channel owns its connection, its decoder and its payload channel receivers; the thread
 * closes the last two as it ends, the shutdown closes the connection.
 */
public final class ReceiveChannel implements IncomingPacket, DataTargets, CodecContext, SyncCounters {

    /** Where a channel is; see the class diagram. */
    public enum Phase {
        /** The hello was accepted; the thread has not started. */
        ACCEPTED,
        /** Making the decoder; channel 0 applies the manifest, the others wait for it. */
        SETUP,
        /** Reading data, KEEPALIVE and SYNC packets. */
        STREAMING,
        /** SYNC read: waiting until every channel read the SYNC of this epoch. */
        AT_SYNC,
        /** EOS read and checked: waiting until COMPLETED was written on every channel. */
        ENDED,
        /** COMPLETED written: reading the sender's COMMIT. */
        COMMITTING,
        /** COMMIT read: this channel's part succeeded. */
        COMMITTED,
        /** The migration failed: reading and discarding until the sender closes (bounded). */
        DRAINING,
        /** The thread released its parts and ends. */
        CLOSED;

        private Set<Phase> next;

        static {
            ACCEPTED.next = EnumSet.of(SETUP, DRAINING);
            SETUP.next = EnumSet.of(STREAMING, DRAINING);
            STREAMING.next = EnumSet.of(AT_SYNC, ENDED, DRAINING);
            AT_SYNC.next = EnumSet.of(STREAMING, DRAINING);
            ENDED.next = EnumSet.of(COMMITTING, DRAINING);
            COMMITTING.next = EnumSet.of(COMMITTED, DRAINING);
            COMMITTED.next = EnumSet.of(DRAINING, CLOSED);
            DRAINING.next = EnumSet.of(CLOSED);
            CLOSED.next = EnumSet.noneOf(Phase.class);
        }

        /**
         * @param to another phase
         * @return whether a channel may go from this phase to {@code to}
         */
        public boolean canGoTo(Phase to) {
            return next.contains(to);
        }
    }

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdReceiver");

    private final int id;
    private final ChannelIo io;
    private final ReceiverParts parts;
    private final SessionTerms terms;
    private final ManifestApplication manifest;
    private final Thread thread;
    private final ReentrantLock writeLock = new ReentrantLock();

    // written by the channel thread, read by any
    private volatile Phase phase = Phase.ACCEPTED;
    private volatile long packets;
    private volatile long rawBytes;
    private volatile long syncs;
    // the counters when this channel read its last SYNC: written before it arrives at the barrier
    private volatile long packetsAtSync;
    private volatile long rawAtSync;
    private volatile long wireAtSync;

    // channel thread only
    private final PacketReader reader;
    private final Crc crc = new Crc();
    private ByteBuffer[] targets = new ByteBuffer[16];
    private int[] starts = new int[16];
    private int targetCount;
    private long targetTotal;
    private PayloadChannelReceiver[] channelReceivers;
    private CodecDecoder decoder;
    private long items;
    private long elided;

    /**
     * Makes the channel; its thread starts with {@link #start()}.
     *
     * @param id      the channel id from its accepted hello
     * @param io      the connection, now owned by this channel
     * @param parts   what the session's channels share
     * @param threads makes the channel's thread (role {@code ch<id>})
     */
    public ReceiveChannel(int id, ChannelIo io, ReceiverParts parts, SessionThreads threads) {
        this.id = id;
        this.io = io;
        this.parts = parts;
        this.terms = parts.terms();
        this.manifest = parts.manifest();
        this.reader = new PacketReader(io, id, parts.config().maxPayloadHeaderLength(), terms.maxDataLength(), () -> {
            Throwable f = parts.latch().cause();
            if (f != null) {
                throw new MigrationFailedException("aborted", f);
            }
        });
        this.thread = threads.newThread(this::run, "ch" + id);
    }

    /** Starts the channel's thread. Called once, after HELLO_ACCEPT was written. */
    public void start() {
        thread.start();
    }

    /** The channel id. */
    public int id() {
        return id;
    }

    /** The connection. */
    public ChannelIo io() {
        return io;
    }

    /** The channel's thread. */
    public Thread thread() {
        return thread;
    }

    /** Where the channel is now. */
    public Phase phase() {
        return phase;
    }

    /** Data packets applied so far. */
    public long packets() {
        return packets;
    }

    /** Raw data bytes applied so far. */
    public long rawBytes() {
        return rawBytes;
    }

    /** SYNC markers passed so far. */
    public long syncs() {
        return syncs;
    }

    /** Data packets applied before the SYNC this channel read last (or is waiting at). */
    @Override
    public long packetsAtSync() {
        return packetsAtSync;
    }

    /** Raw bytes applied before the SYNC this channel read last (or is waiting at). */
    @Override
    public long rawBytesAtSync() {
        return rawAtSync;
    }

    /** Bytes read up to and including the SYNC this channel read last (or is waiting at). */
    @Override
    public long wireBytesAtSync() {
        return wireAtSync;
    }

    private void enter(Phase to) {
        if (!phase.canGoTo(to)) {
            throw new IllegalStateException("channel " + id + ": " + phase + " cannot go to " + to);
        }
        phase = to;
    }

    /**
     * Writes a reply to the sender. Any thread.
     *
     * @param r    the reply
     * @param what for messages
     * @throws IOException if it cannot be written
     */
    public void writeReply(Reply r, String what) throws IOException {
        writeLock.lock();
        try {
            io.writeFully(r.encode(), what);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes a reply if no other thread is writing on this channel now. Any thread.
     *
     * @param r the reply
     * @return false if another thread held the write lock (nothing was written)
     * @throws IOException if it cannot be written
     */
    public boolean tryWriteReply(Reply r) throws IOException {
        if (!writeLock.tryLock()) {
            return false;
        }
        try {
            io.writeFully(r.encode(), Wire.replyKindName(r.kind()));
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Writes a reply if the write lock is free within the grace period; failures are logged.
     * Any thread.
     *
     * @param r the reply
     */
    public void writeReplyQuietly(Reply r) {
        try {
            if (writeLock.tryLock(parts.graceNanos(), TimeUnit.NANOSECONDS)) {
                try {
                    io.writeFully(r.encode(), Wire.replyKindName(r.kind()));
                } finally {
                    writeLock.unlock();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "channel " + id + ": could not write " + Wire.replyKindName(r.kind()) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- CodecContext

    @Override
    public int channelId() {
        return id;
    }

    @Override
    public int channelCount() {
        return terms.channelCount();
    }

    @Override
    public int maxDataLength() {
        return terms.maxDataLength();
    }

    // ---- IncomingPacket

    @Override
    public long sequence() {
        return reader.header().sequence;
    }

    @Override
    public long epoch() {
        return reader.header().epoch;
    }

    @Override
    public long streamOffset() {
        return reader.headerOffset();
    }

    @Override
    public ByteBuffer header() {
        return reader.payloadHeader();
    }

    @Override
    public int rawLength() {
        return (int) reader.header().rawLength;
    }

    @Override
    public MalformedPacketException malformed(String field, Object value, String reason) {
        return reader.bad(ProtocolCode.MALFORMED, field, value, reason);
    }

    @Override
    public void countItems(long itemCount, long elidedCount) {
        items += itemCount;
        elided += elidedCount;
    }

    // ---- DataTargets

    @Override
    public void add(ByteBuffer target) {
        Objects.requireNonNull(target, "target");
        if (target.isReadOnly()) {
            throw new IllegalArgumentException("a data target must be writable");
        }
        if (!target.hasRemaining()) {
            return;
        }
        if (targetCount == targets.length) {
            targets = Arrays.copyOf(targets, targetCount * 2);
            starts = Arrays.copyOf(starts, targetCount * 2);
        }
        starts[targetCount] = target.position();
        targets[targetCount++] = target;
        targetTotal += target.remaining();
    }

    // ---- thread body

    private void run() {
        try {
            enter(Phase.SETUP);
            decoder = terms.codec().newDecoder(terms.codecOptions(), this);
            PayloadReceiver[] rs = id == 0 ? applyManifest() : manifest.awaitAccepted();
            channelReceivers = new PayloadChannelReceiver[rs.length];
            for (int i = 0; i < rs.length; i++) {
                if (rs[i] != null) {
                    channelReceivers[i] = rs[i].openChannel(id);
                }
            }
            io.readTimeout(parts.config().ioTimeout());
            io.writeTimeout(parts.config().ioTimeout());
            io.progress(parts.end().clock());
            enter(Phase.STREAMING);
            stream();
            end();
        } catch (Throwable t) {
            if (!parts.latch().failed()) {
                parts.failures().fail(t instanceof Error e && !(t instanceof LinkageError) && !(t instanceof OutOfMemoryError)
                        ? new MultiFdException(ProtocolCode.FAILED, "channel " + id + ": " + e, e) : t);
            }
        } finally {
            // A thread ends only after COMMITTED, or after the migration failed (its own error
            // failed it, or it was failed already): so these two moves are always drawn ones.
            if (parts.latch().failed()) {
                phase = Phase.DRAINING;
                drain();
            }
            closeParts();
            phase = Phase.CLOSED;
        }
    }

    /** Channel 0: reads the manifest, opens a receiver per record, answers. */
    private PayloadReceiver[] applyManifest() throws IOException {
        ManifestApplication.Refusal refusal = manifest.open(io, parts.pluginContext());
        if (refusal != null) {
            // Fail first, then tell the sender why its manifest was refused.
            parts.failures().fail(refusal.cause(), io);
            try {
                writeReply(Reply.failure(Wire.REPLY_MANIFEST_REFUSE, refusal.code(), refusal.message()), "MANIFEST_REFUSE");
                io.shutdownOutput();
            } catch (IOException | RuntimeException x) {
                LOG.log(System.Logger.Level.DEBUG, "could not send the manifest refusal: " + x);
            }
            throw refusal.cause();
        }
        writeReply(Reply.manifestAccept(), "MANIFEST_ACCEPT");
        manifest.accepted();
        return manifest.receivers();
    }

    private void closeParts() {
        if (channelReceivers != null) {
            for (PayloadChannelReceiver r : channelReceivers) {
                if (r != null) {
                    try {
                        r.close();
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.DEBUG, "channel receiver close failed", e);
                    }
                }
            }
        }
        if (decoder != null) {
            try {
                decoder.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "decoder close failed", e);
            }
        }
        io.close();
    }

    /**
     * After a failure: reads and discards until the sender closes (bounded by the forced
     * close), so that closing does not reset the connection and destroy the ERROR reply
     * the sender has not read yet.
     */
    private void drain() {
        if (io.isClosed()) {
            return;
        }
        io.forceCloseAfter(parts.graceNanos());
        ByteBuffer scratch = ByteBuffer.allocate(8192);
        try {
            while (true) {
                scratch.clear();
                io.readFully(scratch, "the rest of the stream after a failure");
            }
        } catch (IOException | RuntimeException e) {
            // end of stream, or closed by the watchdog: done
        }
    }

    /** Reads packets until a valid EOS. */
    private void stream() throws IOException {
        while (true) {
            reader.readHeader("packet header");
            if (!reader.isControl()) {
                data();
                continue;
            }
            switch (reader.control()) {
                case KEEPALIVE -> {
                }
                case SYNC -> {
                    enter(Phase.AT_SYNC);
                    packetsAtSync = packets;
                    rawAtSync = rawBytes;
                    wireAtSync = io.offset();
                    parts.barrier().arrive(reader.epoch());
                    reader.nextEpoch();
                    syncs++;
                    enter(Phase.STREAMING);
                }
                case EOS -> {
                    EndExchange.checkEos(reader.eosBody(), id, reader.headerOffset(), packets, rawBytes);
                    return;
                }
            }
        }
    }

    /**
     * After EOS: reads on at once for the COMMIT. Until it has every COMPLETED the sender writes
     * nothing more but an ABORT (a cancel) or a close, and either must fail this receiver now, not
     * once its plug-ins have finished (which may take the whole finish timeout): a channel thread
     * that waited for COMPLETED before reading was deaf to the sender meanwhile. Then waits until
     * COMPLETED was written on every channel (at once for a sender that keeps the protocol, which
     * commits only after reading them all).
     */
    private void end() throws IOException {
        enter(Phase.ENDED);
        parts.end().eosRead();
        // the plug-ins' finish, then longer than the sender's wait for COMPLETED, which started
        // earlier: when a COMPLETED is lost, the sender's timeout fires first and its ABORT names the cause
        Duration finish = parts.config().finishTimeout();
        io.readTimeout(finish.plus(EndExchange.commitWait(finish)));
        reader.readCommit();
        parts.end().awaitCompleted(terms.channelCount());
        enter(Phase.COMMITTING);
        enter(Phase.COMMITTED);
        parts.end().commitRead();
    }

    /** Applies one data packet: payload header to the plug-in, data into the buffers it names. */
    private void data() throws IOException {
        PacketHeader header = reader.header();
        int idx = manifest.indexOfType(header.typeId);
        PayloadChannelReceiver r = idx < 0 ? null : channelReceivers[idx];
        if (r == null) {
            throw reader.bad(ProtocolCode.UNKNOWN_PAYLOAD, "packet.payload type", header.typeId,
                    idx < 0 ? "no payload plug-in has this id" : "payload '" + manifest.plugin(idx).name()
                            + "' was not declared in the manifest");
        }
        Codec codec = terms.codec();
        reader.checkDataPacket(codec.id() == Codec.NONE_ID);
        long raw = header.rawLength;
        long enc = header.encodedLength;
        boolean isRaw = (header.flags & Wire.FLAG_RAW) != 0;
        boolean reset = (header.flags & Wire.FLAG_RESET) != 0;
        boolean hasCrc = (header.flags & Wire.FLAG_DATA_CRC) != 0;
        reader.readPayloadHeader();
        targetCount = 0;
        targetTotal = 0;
        items = 0;
        elided = 0;
        r.begin(this, this);
        if (targetTotal != raw) {
            throw reader.bad(ProtocolCode.MALFORMED, "packet.raw length", raw, "payload '" + manifest.plugin(idx).name()
                    + "' expects " + targetTotal + " data bytes for this payload header");
        }
        if (raw > 0) {
            if (isRaw) {
                io.readFully(targets, 0, targetCount, raw, "packet data");
                if (hasCrc) {
                    crc.reset();
                    for (int i = 0; i < targetCount; i++) {
                        crc.update(targets[i], starts[i], targets[i].position());
                    }
                    reader.checkDataCrc(crc.value());
                }
            } else {
                ByteBuffer in = decoder.inputBuffer((int) enc);
                if (in == null || in.position() != 0 || in.limit() != enc) {
                    throw new IllegalStateException("codec '" + codec.name()
                            + "': inputBuffer() must return a cleared buffer with limit " + enc);
                }
                io.readFully(in, "encoded packet data");
                if (hasCrc) {
                    reader.checkDataCrc(crc.of(in, 0, (int) enc));
                }
                in.position(0);
                decoder.decode(in, targets, 0, targetCount, (int) raw, reset, this);
                for (int i = 0; i < targetCount; i++) {
                    if (targets[i].hasRemaining()) {
                        throw malformed("data", enc + " encoded bytes", "codec '" + codec.name()
                                + "' decoded fewer than the " + raw + " bytes announced");
                    }
                }
            }
        }
        r.end(this);
        for (int i = 0; i < targetCount; i++) {
            targets[i] = null;
        }
        packets++;
        rawBytes += raw;
        parts.counters()[idx].add(raw, Wire.PACKET_HEADER_LENGTH + header.headerLength + enc, items, elided);
    }
}
