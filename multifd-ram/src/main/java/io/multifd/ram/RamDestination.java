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

import io.multifd.api.SetupRefusedException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where a receiver puts the RAM it receives: resolves the blocks the sender announced in its
 * setup record to destination {@link RamBlock}s.
 *
 * <p>Two kinds are built in:
 * <ul>
 *   <li>{@link #of(RamBlock...)}: the product <em>registers</em> its destination blocks. Every
 *       announced block must be registered with the same length and page size, and every
 *       registered block must be announced; anything else is refused.</li>
 *   <li>{@link #creating(Factory)}: the product <em>creates</em> the blocks from the manifest, for
 *       instance mapped from an output file (the command line does this), and keeps the references
 *       it needs afterwards. {@link #allocating(Collection)} creates direct-memory blocks and
 *       collects them.</li>
 * </ul>
 *
 * <p><b>Known-zero destinations.</b> If every block starts all zero (fresh memory, a new sparse
 * file), {@link #creatingZeroed(Factory)} says so ({@link #blocksStartZeroed()}). The receiver then
 * keeps a bitmap of the pages this session wrote, and a zero page for a page not written yet is
 * skipped without even reading the destination: a sparse output file's holes stay holes and
 * untouched memory stays untouched, as QEMU's {@code receivedmap} does. Otherwise each zero page's
 * destination is read and zeroed only if it holds data.
 *
 * <p>{@link #open(RamSetupRecord)} is called once per session on the receiver's manifest thread,
 * before any page arrives. An implementation may be used by several sessions one after the other
 * (not at once). The returned blocks are written by the channel threads until the migration
 * ends; see {@link RamBlock} for the ownership rules.
 */
@FunctionalInterface
public interface RamDestination {

    /**
     * Resolves the announced blocks.
     *
     * @param announced the sender's setup record, already validated against the receiver's limits
     * @return one writable block per announced block, in the announced order, each with the
     *         announced name, length and page size (the payload checks this again)
     * @throws SetupRefusedException naming the block and the field that does not fit
     */
    List<RamBlock> open(RamSetupRecord announced) throws SetupRefusedException;

    /**
     * Tells whether every block {@link #open} returns is all zero at that moment, so that zero
     * pages need not be applied to pages the session has not written. False unless the destination
     * was made by {@link #creatingZeroed(Factory)} or {@link #allocating(Collection)}.
     *
     * @return true if the blocks start zeroed
     */
    default boolean blocksStartZeroed() {
        return false;
    }

    /**
     * Called once per session on the receiver's coordinating thread after every page of the
     * session was applied to the blocks, and before the receiver reports COMPLETED to the sender
     * (from the RAM payload's {@code finish}). A destination backed by a file can force it to disk
     * here, so that the sender is told "completed" only once the memory is durable. Not called for
     * a failed migration.
     *
     * @throws IOException if the blocks cannot be made durable; this fails the migration, and the
     *                     sender is told it failed
     */
    default void finished() throws IOException {
    }

    /**
     * Tells where the receiver should put a block's pages with positional file writes
     * ({@link FileChannel#write(ByteBuffer, long)}) instead of writing them into the block's
     * memory. For a block mapped from a new file this costs about half the CPU of filling the
     * mapping (a full-page write needs no page fault and no clearing of the new page; see
     * docs/performance.md). The channel threads then receive each packet into a buffer of their
     * own and write its runs of adjacent pages at {@code position + offset}; a zero page is
     * written (as zeros) only if this session wrote the page before, or if the blocks do not
     * start zeroed. The block's memory is then not written by the receiver; it must show the
     * file's contents (a mapping of the same region: the operating system keeps both views of
     * the page cache coherent on Linux) if anything reads it. Called on the receiver's manifest
     * thread once per block, right after {@link #open}.
     *
     * @param block a block {@link #open} returned
     * @return the file region the block's pages go to, or null (the default) to write into the
     *         block's memory
     */
    default WriteTarget writeTarget(RamBlock block) {
        return null;
    }

    /**
     * A file region a block's pages are written to: the page at block offset {@code o} goes to
     * {@code channel} at {@code position + o}. The channel is the product's: open and writable
     * until the migration ended (the library never closes it); an {@link IOException} writing it
     * (a full disk) fails the migration.
     *
     * @param channel  the file, open for writing
     * @param position where the block's first page goes, at least 0
     */
    record WriteTarget(FileChannel channel, long position) {
        /**
         * Checks the fields.
         *
         * @param channel  the file, open for writing
         * @param position where the block's first page goes
         * @throws NullPointerException     if channel is null
         * @throws IllegalArgumentException if position is negative
         */
        public WriteTarget {
            Objects.requireNonNull(channel, "channel");
            if (position < 0) {
                throw new IllegalArgumentException("file position must be at least 0: " + position);
            }
        }
    }

    /**
     * Registers destination blocks: the sender must announce exactly these blocks, with the same
     * lengths and page sizes.
     *
     * @param blocks the destination blocks, distinct names, writable
     * @return the destination
     * @throws IllegalArgumentException if two blocks have the same name or a block is read-only
     */
    static RamDestination of(RamBlock... blocks) {
        return of(List.of(blocks));
    }

    /**
     * Registers destination blocks; see {@link #of(RamBlock...)}.
     *
     * @param blocks the destination blocks
     * @return the destination
     */
    static RamDestination of(Collection<RamBlock> blocks) {
        Map<String, RamBlock> byName = new LinkedHashMap<>();
        for (RamBlock b : blocks) {
            if (b.isReadOnly()) {
                throw new IllegalArgumentException("destination block '" + b.name() + "' is read-only");
            }
            if (byName.putIfAbsent(b.name(), b) != null) {
                throw new IllegalArgumentException("two destination blocks are named '" + b.name() + "'");
            }
        }
        if (byName.isEmpty()) {
            throw new IllegalArgumentException("no destination block");
        }
        return announced -> {
            List<RamBlock> out = new ArrayList<>(announced.blocks().size());
            for (RamBlockInfo info : announced.blocks()) {
                RamBlock b = byName.get(info.name());
                if (b == null) {
                    throw RamSetupRecord.refuse("name", info.name(), "no destination block has this name (registered: "
                            + byName.keySet() + ")");
                }
                if (b.length() != info.length()) {
                    throw RamSetupRecord.refuse("blockLength", info.length(), "block '" + info.name()
                            + "': the destination block is " + b.length() + " bytes long");
                }
                if (b.pageSize() != info.pageSize()) {
                    throw RamSetupRecord.refuse("pageSize", info.pageSize(), "block '" + info.name()
                            + "': the destination block has pages of " + b.pageSize() + " bytes");
                }
                out.add(b);
            }
            if (out.size() != byName.size()) {
                for (String name : byName.keySet()) {
                    if (announced.blocks().stream().noneMatch(i -> i.name().equals(name))) {
                        throw RamSetupRecord.refuse("name", name, "registered destination block not announced by "
                                + "the sender (a missing block would be left unmigrated)");
                    }
                }
            }
            return out;
        };
    }

    /**
     * Creates the destination blocks from the manifest.
     *
     * @param factory makes one block per announced block
     * @return the destination
     */
    static RamDestination creating(Factory factory) {
        Objects.requireNonNull(factory, "factory");
        return announced -> {
            List<RamBlock> out = new ArrayList<>(announced.blocks().size());
            for (RamBlockInfo info : announced.blocks()) {
                RamBlock b;
                try {
                    b = factory.create(info);
                } catch (IOException | RuntimeException e) {
                    throw new SetupRefusedException("ram: cannot create destination block '" + info.name() + "': "
                            + e.getMessage(), e);
                }
                if (b == null || !info.matches(b) || b.isReadOnly()) {
                    throw RamSetupRecord.refuse("name", info.name(), "the destination factory returned " + b
                            + " for " + info);
                }
                out.add(b);
            }
            return out;
        };
    }

    /**
     * Creates the destination blocks from the manifest, promising that each is all zero when the
     * factory returns it (fresh memory, or a new or truncated sparse file mapped read-write): see
     * "known-zero destinations" above. A block with old contents would keep them where zero pages
     * arrive, so do not use this for existing data.
     *
     * @param factory makes one zero-filled block per announced block
     * @return the destination
     */
    static RamDestination creatingZeroed(Factory factory) {
        RamDestination inner = creating(factory);
        return new RamDestination() {
            @Override
            public List<RamBlock> open(RamSetupRecord announced) throws SetupRefusedException {
                return inner.open(announced);
            }

            @Override
            public boolean blocksStartZeroed() {
                return true;
            }
        };
    }

    /**
     * Creates fresh direct-memory blocks (zero-filled) and adds each to {@code sink} (for instance
     * a synchronized or concurrent list the product reads after the migration).
     *
     * @param sink receives every block made, in the announced order
     * @return the destination
     */
    static RamDestination allocating(Collection<RamBlock> sink) {
        return allocating(sink, info -> RamBlock.allocate(info.name(), info.length(), info.pageSize()));
    }

    /**
     * Creates fresh blocks with {@link FreshMemory#allocate} (anonymous memory populated by the
     * channel threads as pages arrive on JDK 22+ on Linux with native access enabled, else
     * direct memory) and adds each to {@code sink}; zero-filled, so zero pages that arrive for
     * pages never written are skipped. {@link FreshMemory#kind()} says which kind this JVM gives.
     *
     * @param sink receives every block made, in the announced order
     * @return the destination
     */
    static RamDestination allocatingFresh(Collection<RamBlock> sink) {
        return allocating(sink, info -> FreshMemory.allocate(info.name(), info.length(), info.pageSize()));
    }

    private static RamDestination allocating(Collection<RamBlock> sink, Factory zeroed) {
        Objects.requireNonNull(sink, "sink");
        return creatingZeroed(info -> {
            RamBlock b = zeroed.create(info);
            sink.add(b);
            return b;
        });
    }

    /**
     * Makes a destination block for an announced block.
     */
    @FunctionalInterface
    interface Factory {
        /**
         * Makes the block. Called on the receiver's manifest thread, once per announced block.
         *
         * @param info the announced name, length and page size
         * @return a writable block with exactly that name, length and page size, owned by the
         *         product (the library writes into it until the migration ends)
         * @throws IOException if it cannot be made; the manifest is refused with this message
         */
        RamBlock create(RamBlockInfo info) throws IOException;
    }
}
