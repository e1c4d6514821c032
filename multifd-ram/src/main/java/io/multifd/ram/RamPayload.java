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
package io.multifd.ram;

import com.google.auto.service.AutoService;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.ReturnPath;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.ram.internal.PostcopyState;
import io.multifd.ram.internal.RamEncoder;
import io.multifd.ram.internal.RamHeaderDescription;
import io.multifd.ram.internal.RamReceiver;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The RAM pages payload plug-in: wire id {@value #ID}, name {@value #NAME}.
 *
 * <h2>Use</h2>
 * <ul>
 *   <li>Sender: the default instance, which {@link java.util.ServiceLoader} finds (or
 *       {@link #sending()}), is all a sender needs; {@link RamSaver#open} finds the registered
 *       instance through {@code session.payload(RamPayload.class)}. To change the batch size or
 *       turn zero-page detection off, register a configured instance:
 *       {@code MultiFdSender.builder(config, connector).payload(RamPayload.builder().batchBytes(1 << 20).build())}.</li>
 *   <li>Receiver: register an instance that knows the destination:
 *       {@code MultiFdReceiver.builder(config, listener).payload(RamPayload.receiving(RamDestination.of(blocks)))}.
 *       The default instance refuses every RAM manifest, because it has nowhere to put the pages.</li>
 * </ul>
 *
 * <h2>Packet payload header, version 1</h2>
 * Big-endian. A packet carries pages of one block:
 * <pre>
 * offset    size        field           rule
 *   0       1           version         1
 *   1       1           flags           0 (reserved)
 *   2       2           name length n   1 to 255
 *   4       4           normal pages N  pages whose data follows
 *   8       4           zero pages Z    pages that are all zero and carry no data
 *  12       n           block name      UTF-8, a block of the setup record
 *  12+n     8 * (N+Z)   page offsets    byte offsets in the block: N normal pages, then Z zero pages
 * </pre>
 * The header is exactly {@code 12 + n + 8 * (N + Z)} bytes; {@code 1 <= N + Z <= pagesPerPacket},
 * where {@code pagesPerPacket = max(1, batchBytes / pageSize)} from the setup record. Every offset
 * is a multiple of the block's page size and below its length, and appears once. The data is the
 * normal pages' bytes in header order: {@code N * pageSize} bytes, less {@code pageSize - tail} if
 * the block's last, partial page (of {@code tail = length % pageSize} bytes) is among them. Zero
 * pages carry nothing: the receiver zeroes the destination page if it is not zero already (for a
 * destination known to start zeroed, {@link RamDestination#blocksStartZeroed()}, a page this
 * session has not written is skipped without being read).
 * Refusals name the field: {@code ram.version}, {@code ram.flags}, {@code ram.nameLength},
 * {@code ram.pages}, {@code ram.headerLength}, {@code ram.block}, {@code ram.normalPages},
 * {@code ram.zeroPages}, {@code ram.offset}, {@code ram.rawLength}.
 *
 * <p>The setup record is described by {@link RamSetupRecord}.
 *
 * <h2>Threads</h2>
 * Immutable and thread-safe; shared by every session and channel. Encoders and channel receivers
 * it makes are confined to their channel threads.
 */
@SuppressWarnings({"rawtypes", "exports"}) // AutoService names the generic SPI raw; its annotation is compile-only
@AutoService(PayloadPlugin.class)
public final class RamPayload implements PayloadPlugin<RamBody> {

    /** The wire id of the RAM payload. */
    public static final int ID = 1;
    /** The name of the RAM payload. */
    public static final String NAME = "ram";
    /** Payload header version written and read. */
    public static final int HEADER_VERSION = 1;
    /** The fixed part of the payload header, in bytes. */
    public static final int HEADER_FIXED_LENGTH = 12;
    /** Header flag: pages sent after the switch-over to post-copy; each must be missing at the receiver. */
    public static final int FLAG_POSTCOPY_PAGES = 0x01;
    /** Header flag: a missing-page map (part of a block's bitmap of pages the destination must not use yet). */
    public static final int FLAG_MISSING = 0x02;
    /** Header flag: the switch-over is complete; the destination may run. */
    public static final int FLAG_RELEASE = 0x04;
    /** Header flag: a resumed post-copy session starts; the destination answers with its missing-page bitmap. */
    public static final int FLAG_RESUME = 0x08;
    /** The default batch: 512 KiB of pages per packet (128 pages of 4 KiB), as QEMU. */
    public static final int DEFAULT_BATCH_BYTES = 512 << 10;
    /** The default limit on the total size of the announced blocks on a receiver: 64 GiB. */
    public static final long DEFAULT_MAX_TOTAL_BYTES = 64L << 30;

    private final int batchBytes;
    private final boolean zeroPageDetection;
    private final long maxTotalBytes;
    private final RamDestination destination;
    private final List<RamBlockInfo> expectedBlocks;
    private final long expectedTotalBytes;
    private final boolean requireEveryPage;
    private final PostcopyAccess postcopyAccess;

    /**
     * The default instance, as {@link java.util.ServiceLoader} makes it: ready to send with the
     * defaults; refuses to receive (no destination).
     */
    public RamPayload() {
        this(new Builder());
    }

    private RamPayload(Builder b) {
        this.batchBytes = b.batchBytes;
        this.zeroPageDetection = b.zeroPageDetection;
        this.maxTotalBytes = b.maxTotalBytes;
        this.destination = b.destination;
        this.expectedBlocks = b.expectedBlocks;
        this.expectedTotalBytes = b.expectedTotalBytes;
        this.requireEveryPage = b.requireEveryPage;
        this.postcopyAccess = b.postcopyAccess;
    }

    /**
     * A sender's instance with every default (what ServiceLoader finds, as an explicit object).
     *
     * @return a new instance
     */
    public static RamPayload sending() {
        return new RamPayload();
    }

    /**
     * A receiver's instance with the default limits.
     *
     * @param destination where the pages go
     * @return a new instance
     */
    public static RamPayload receiving(RamDestination destination) {
        return builder().destination(destination).build();
    }

    /** A builder with every default. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public int id() {
        return ID;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Sender: page data per packet at most (a packet carries at least one page). */
    public int batchBytes() {
        return batchBytes;
    }

    /** Sender: whether zero pages are found and sent as offsets only. */
    public boolean zeroPageDetection() {
        return zeroPageDetection;
    }

    /** Receiver: the largest total size of announced blocks accepted. */
    public long maxTotalBytes() {
        return maxTotalBytes;
    }

    /** Receiver: the destination, or empty for a send-only instance. */
    public Optional<RamDestination> destination() {
        return Optional.ofNullable(destination);
    }

    /**
     * Receiver: the layout every sender must announce, or empty to accept any layout the
     * destination accepts.
     *
     * @return the expected blocks, in the expected order
     */
    public Optional<List<RamBlockInfo>> expectedBlocks() {
        return Optional.ofNullable(expectedBlocks);
    }

    /**
     * Receiver: the total size of the blocks every sender must announce, or 0 for any.
     *
     * @return bytes, or 0
     */
    public long expectedTotalBytes() {
        return expectedTotalBytes;
    }

    /**
     * Receiver: whether a session completes only if every page of every block arrived at least
     * once.
     *
     * @return true unless turned off with {@link Builder#requireEveryPage(boolean)}
     */
    public boolean requireEveryPage() {
        return requireEveryPage;
    }

    /** Makes a body for one slot; called by {@link io.multifd.api.SendData#fill}. */
    @Override
    public RamBody newBody() {
        return new RamBody(batchBytes);
    }

    /** Empties a body; called by the slot's owner after the packet was written. */
    @Override
    public void resetBody(RamBody body) {
        body.reset();
    }

    /** Makes the encoder of one sending channel; called on that channel's thread. */
    @Override
    public PayloadEncoder<RamBody> newEncoder(SendChannelContext context) {
        return new RamEncoder(zeroPageDetection);
    }

    /**
     * Starts the receiving side: decodes and checks the setup record against this receiver's
     * limits ({@link #maxTotalBytes()}, the configuration's packet and header caps), then asks the
     * destination for the blocks and checks them.
     *
     * @param context     the session
     * @param setupRecord the sender's record, untrusted, read during the call only
     * @return the session's receiver
     * @throws SetupRefusedException naming the field and value that cannot be accepted
     */
    /**
     * Describes a RAM payload header for tools: version, flags, block, page counts and the first
     * offsets. Never throws.
     *
     * @param header the payload header (position 0 to limit)
     * @return the fields in wire order
     */
    @Override
    public Map<String, Object> describeHeader(ByteBuffer header) {
        return RamHeaderDescription.describe(header);
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        RamSetupRecord record = RamSetupRecord.decode(setupRecord, maxTotalBytes);
        if (destination == null) {
            throw new SetupRefusedException("ram: this receiver has no RAM destination (register "
                    + "RamPayload.receiving(destination) with the receiver)");
        }
        checkExpected(record);
        MultiFdConfig config = context.config();
        for (RamBlockInfo b : record.blocks()) {
            checkLimits(config, record.batchBytes(), b.pageSize(), RamSetupRecord.shown(b.name()), true);
        }
        List<RamBlock> blocks = destination.open(record);
        if (blocks == null || blocks.size() != record.blocks().size()) {
            throw new SetupRefusedException("ram: the destination returned " + (blocks == null ? "no" : blocks.size())
                    + " blocks for " + record.blocks().size() + " announced");
        }
        for (int i = 0; i < blocks.size(); i++) {
            RamBlock b = blocks.get(i);
            RamBlockInfo info = record.blocks().get(i);
            if (b == null || !info.matches(b)) {
                throw RamSetupRecord.refuse("name", RamSetupRecord.shown(info.name()), "the destination returned a different "
                        + "block for the announced one");
            }
            if (b.isReadOnly()) {
                throw RamSetupRecord.refuse("name", RamSetupRecord.shown(info.name()),
                        "the destination block is read-only");
            }
        }
        RamDestination.WriteTarget[] files = new RamDestination.WriteTarget[blocks.size()];
        for (int i = 0; i < files.length; i++) {
            files[i] = destination.writeTarget(blocks.get(i));
        }
        PostcopyState postcopy = null;
        if (record.postcopy()) {
            ReturnPath path = context.returnPath(ID);
            if (!path.available()) {
                throw RamSetupRecord.refuse("flags", RamSetupRecord.FLAG_POSTCOPY, "post-copy was announced but the "
                        + "sender's hellos asked for no return path, which page requests need");
            }
            RamBlock[] array = blocks.toArray(new RamBlock[0]);
            if (record.resume()) {
                if (postcopyAccess == null) {
                    throw RamSetupRecord.refuse("flags", RamSetupRecord.FLAG_POSTCOPY | RamSetupRecord.FLAG_RESUME,
                            "the sender resumes a post-copy, but this receiver has no post-copy access to resume");
                }
                postcopy = postcopyAccess.resume(array, path, context::fail);
            } else {
                postcopy = postcopyAccess != null ? postcopyAccess.attach(array, path, context::fail)
                        : new PostcopyState(array, path, context::fail, PostcopyAccess.NO_EVENTS);
            }
        }
        // a resumed session sends only what is missing, over pages earlier sessions wrote: no
        // every-page check and no skipping of zero pages
        boolean resume = record.resume();
        return finishing(new RamReceiver(record, blocks, destination.blocksStartZeroed() && !resume,
                requireEveryPage && !resume, files, postcopy), destination);
    }

    /**
     * Refuses a layout other than the expected one, before the destination is asked for anything.
     */
    private void checkExpected(RamSetupRecord record) throws SetupRefusedException {
        if (expectedTotalBytes > 0 && record.totalBytes() != expectedTotalBytes) {
            throw RamSetupRecord.refuse("totalBytes", record.totalBytes(), "this receiver expects blocks of "
                    + expectedTotalBytes + " bytes in total, the sender announced " + record.blocks().size()
                    + " block(s) of " + record.totalBytes() + " bytes");
        }
        if (expectedBlocks == null) {
            return;
        }
        List<RamBlockInfo> got = record.blocks();
        for (int i = 0; i < Math.max(got.size(), expectedBlocks.size()); i++) {
            RamBlockInfo want = i < expectedBlocks.size() ? expectedBlocks.get(i) : null;
            RamBlockInfo have = i < got.size() ? got.get(i) : null;
            if (want == null) {
                throw RamSetupRecord.refuse("name", RamSetupRecord.shown(have.name()), "block " + i
                        + " is not expected (this receiver expects " + expectedBlocks.size() + " block(s))");
            }
            if (have == null) {
                throw RamSetupRecord.refuse("blockCount", got.size(), "expected block " + shown(want)
                        + " was not announced (this receiver expects " + expectedBlocks.size() + " block(s))");
            }
            if (!want.equals(have)) {
                throw RamSetupRecord.refuse("name", RamSetupRecord.shown(have.name()), "block " + i + " is announced as "
                        + shown(have) + ", this receiver expects " + shown(want));
            }
        }
    }

    /** A block as a message shows it: its name escaped (the peer chose it), its length and page size. */
    private static String shown(RamBlockInfo b) {
        return "'" + RamSetupRecord.shown(b.name()) + "' (" + b.length() + " bytes, pages of " + b.pageSize() + ")";
    }

    /** The receiver, whose {@code finish} then tells the destination that every page was applied. */
    private static PayloadReceiver finishing(PayloadReceiver receiver, RamDestination destination) {
        return new PayloadReceiver() {
            @Override
            public io.multifd.api.spi.PayloadChannelReceiver openChannel(int channelId) throws java.io.IOException {
                return receiver.openChannel(channelId);
            }

            @Override
            public void finish(java.time.Duration timeout) throws java.io.IOException {
                receiver.finish(timeout);
                destination.finished();
            }

            @Override
            public void abort(Throwable cause) {
                receiver.abort(cause);
            }

            @Override
            public void close() {
                receiver.close();
            }
        };
    }

    /**
     * Checks that packets of a block fit a configuration's caps.
     *
     * @return null if they fit, else a reason
     */
    static String checkLimits(MultiFdConfig config, int batchBytes, int pageSize, String block, boolean receiver)
            throws SetupRefusedException {
        int pages = RamBody.capacityFor(pageSize, batchBytes);
        long data = (long) pages * pageSize;
        long header = HEADER_FIXED_LENGTH + RamBlock.MAX_NAME_LENGTH + 8L * pages;
        String reason = null;
        String field = null;
        long value = 0;
        if (data > config.maxPacketDataLength()) {
            field = "batchBytes";
            value = data;
            reason = "block '" + block + "': packets of " + pages + " pages of " + pageSize + " bytes exceed maxPacketDataLength "
                    + config.maxPacketDataLength();
        } else if (header > config.maxPayloadHeaderLength()) {
            field = "batchBytes";
            value = batchBytes;
            reason = "block '" + block + "': headers of up to " + header + " bytes (" + pages
                    + " page offsets) exceed maxPayloadHeaderLength " + config.maxPayloadHeaderLength();
        }
        if (reason != null && receiver) {
            throw RamSetupRecord.refuse(field, value, reason);
        }
        return reason;
    }

    @Override
    public String toString() {
        return "RamPayload[batchBytes=" + batchBytes + ", zeroPageDetection=" + zeroPageDetection
                + ", maxTotalBytes=" + maxTotalBytes + (expectedTotalBytes > 0 ? ", expectedTotalBytes=" + expectedTotalBytes : "")
                + (expectedBlocks != null ? ", expectedBlocks=" + expectedBlocks : "")
                + (requireEveryPage ? "" : ", pages may be left unsent")
                + (destination == null ? ", send-only" : "") + "]";
    }

    /**
     * Builds a {@link RamPayload}. Not thread-safe.
     */
    public static final class Builder {
        private int batchBytes = DEFAULT_BATCH_BYTES;
        private boolean zeroPageDetection = true;
        private long maxTotalBytes = DEFAULT_MAX_TOTAL_BYTES;
        private RamDestination destination;
        private List<RamBlockInfo> expectedBlocks;
        private long expectedTotalBytes;
        private boolean requireEveryPage = true;
        private PostcopyAccess postcopyAccess;

        private Builder() {
        }

        /**
         * Receiver: the only layout accepted. A sender announcing other blocks (a different
         * count, order, name, length or page size) is refused with
         * {@link io.multifd.api.ProtocolCode#SETUP_REFUSED} naming the first difference, before
         * the destination is asked for a block and before any page moves. Useful with a
         * destination that creates its blocks from the announcement
         * ({@link RamDestination#creating}), which otherwise accepts any layout within
         * {@link #maxTotalBytes(long)}. Default: any layout.
         *
         * @param blocks the expected blocks, in the order the sender must announce them; copied
         * @return this builder
         * @throws IllegalArgumentException if empty or two blocks share a name
         */
        public Builder expectedBlocks(List<RamBlockInfo> blocks) {
            List<RamBlockInfo> copy = List.copyOf(blocks);
            if (copy.isEmpty()) {
                throw new IllegalArgumentException("expectedBlocks: no block");
            }
            if (copy.stream().map(RamBlockInfo::name).distinct().count() != copy.size()) {
                throw new IllegalArgumentException("expectedBlocks: two blocks share a name: " + copy);
            }
            this.expectedBlocks = copy;
            return this;
        }

        /**
         * Receiver: the only total size accepted. A sender whose announced blocks add up to any
         * other size is refused with {@link io.multifd.api.ProtocolCode#SETUP_REFUSED} (field
         * {@code totalBytes}) before the destination is asked for a block. Default: any size up
         * to {@link #maxTotalBytes(long)}.
         *
         * @param bytes at least 1
         * @return this builder
         */
        public Builder expectedTotalBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("expectedTotalBytes must be positive: " + bytes);
            }
            this.expectedTotalBytes = bytes;
            return this;
        }

        /**
         * Receiver: whether a session completes only if every page of every block arrived at
         * least once (as a normal or a zero page). The receiver keeps one bit per page, set by the
         * channel threads as pages are applied (an atomic OR per 64 pages), and checks them after
         * every channel's end of stream, before it reports COMPLETED: a session that left pages
         * unsent fails on both sides with {@link io.multifd.api.ProtocolCode#SETUP_REFUSED},
         * naming the block, how many pages are missing and the first. Turn it off for a sender
         * that legitimately sends only part of the blocks (pages it knows the destination holds).
         * Default on.
         *
         * @param on false to accept sessions that leave pages unsent
         * @return this builder
         */
        public Builder requireEveryPage(boolean on) {
            this.requireEveryPage = on;
            return this;
        }

        /**
         * Sender: page data per packet at most; a packet of a block with larger pages carries one
         * page. Default 512 KiB.
         *
         * @param bytes {@value RamSetupRecord#MIN_BATCH_BYTES} to 64 MiB
         * @return this builder
         */
        public Builder batchBytes(int bytes) {
            if (bytes < RamSetupRecord.MIN_BATCH_BYTES || bytes > RamSetupRecord.MAX_BATCH_BYTES) {
                throw new IllegalArgumentException("batchBytes must be " + RamSetupRecord.MIN_BATCH_BYTES + " to "
                        + RamSetupRecord.MAX_BATCH_BYTES + ": " + bytes);
            }
            this.batchBytes = bytes;
            return this;
        }

        /**
         * Sender: find zero pages on the channel threads and send them as offsets only. Default on.
         *
         * @param on false sends every page with its data
         * @return this builder
         */
        public Builder zeroPageDetection(boolean on) {
            this.zeroPageDetection = on;
            return this;
        }

        /**
         * Receiver: refuse manifests whose blocks add up to more than this. Default 64 GiB.
         *
         * @param bytes at least 1
         * @return this builder
         */
        public Builder maxTotalBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxTotalBytes must be positive: " + bytes);
            }
            this.maxTotalBytes = bytes;
            return this;
        }

        /**
         * Receiver: where the pages go.
         *
         * @param destination the destination
         * @return this builder
         */
        public Builder destination(RamDestination destination) {
            this.destination = Objects.requireNonNull(destination, "destination");
            return this;
        }

        /**
         * Receiver: the application's access to the destination during a post-copy migration
         * (see {@link PostcopyAccess}). A receiver without one still accepts a post-copy sender
         * (the migration completes once every page arrived), but nothing can use the memory
         * before that. One access serves one session.
         *
         * @param access the access object the application keeps
         * @return this builder
         */
        public Builder postcopy(PostcopyAccess access) {
            this.postcopyAccess = Objects.requireNonNull(access, "access");
            return this;
        }

        /** Returns the configured plug-in. */
        public RamPayload build() {
            return new RamPayload(this);
        }
    }
}
