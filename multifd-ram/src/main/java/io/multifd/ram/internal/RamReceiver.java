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
package io.multifd.ram.internal;

import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamSetupRecord;

import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The RAM payload's receiving side for one session: the destination blocks, their per-packet page
 * caps and the name table. Immutable after construction, so every channel thread shares it; each
 * channel gets its own {@link RamChannelReceiver}.
 */
public final class RamReceiver implements PayloadReceiver {

    private static final RamAccess ACCESS = RamAccess.get();

    final RamSetupRecord record;
    final RamBlock[] blocks;
    final int[] pagesPerPacket;
    final int maxPagesPerPacket;
    final BlockTable table;
    /** Per block, the pages this session wrote; null entries if the blocks did not start zeroed. */
    final PageBitmap[] written;
    /** Per block, the pages (normal or zero) this session applied; null if not checked. */
    final PageBitmap[] received;
    /** Per block: the file region its pages are written to with positional writes, or null. */
    final RamDestination.WriteTarget[] files;
    /**
     * Per block with a file region, the lock its channel threads hold while they write one
     * packet's pages to the file; blocks in the same file share it. A buffered write holds the
     * file's inode lock in the kernel, and a second thread writing the same file meanwhile spins
     * on it (about a fifth of the receiver's CPU with 2 channels into a new file on ext4): taking
     * turns per packet here makes the waiting thread sleep instead, once per packet rather than
     * once per run of pages. Taken interruptibly, so a channel thread waiting for it can still be
     * cancelled. Null entries for blocks written in memory.
     */
    final ReentrantLock[] fileLocks;
    /** The post-copy state if the sender announced post-copy, else null. */
    final PostcopyState postcopy;

    /**
     * Sets up a session's receiving side; called on the receiver's manifest thread.
     *
     * @param record      the sender's setup record, validated
     * @param blocks      the destination blocks, one per announced block in the announced order,
     *                    checked against the record; written by the channel threads from now on
     * @param startZeroed true if every block is all zero now (see
     *                    {@link io.multifd.ram.RamDestination#blocksStartZeroed()})
     * @param everyPage   true to record every page applied and make {@link #finish(Duration)}
     *                    fail unless every page of every block arrived at least once
     * @param files       per block, the file region to write its pages to with positional writes,
     *                    or null to write into the block's memory (see
     *                    {@link RamDestination#writeTarget(RamBlock)})
     */
    public RamReceiver(RamSetupRecord record, List<RamBlock> blocks, boolean startZeroed, boolean everyPage,
                       RamDestination.WriteTarget[] files) {
        this(record, blocks, startZeroed, everyPage, files, null);
    }

    /**
     * Sets up a session's receiving side, with post-copy.
     *
     * @param record      the sender's setup record, validated
     * @param blocks      the destination blocks
     * @param startZeroed true if every block is all zero now
     * @param everyPage   true to require every page
     * @param files       per block, the file region or null
     * @param postcopy    the post-copy state (the record announced post-copy), or null
     */
    public RamReceiver(RamSetupRecord record, List<RamBlock> blocks, boolean startZeroed, boolean everyPage,
                       RamDestination.WriteTarget[] files, PostcopyState postcopy) {
        this.postcopy = postcopy;
        this.record = record;
        this.files = files.clone();
        this.fileLocks = new ReentrantLock[this.files.length];
        Map<FileChannel, ReentrantLock> byFile = new IdentityHashMap<>();
        for (int i = 0; i < this.files.length; i++) {
            if (this.files[i] != null) {
                fileLocks[i] = byFile.computeIfAbsent(this.files[i].channel(), f -> new ReentrantLock());
            }
        }
        this.blocks = blocks.toArray(new RamBlock[0]);
        this.pagesPerPacket = new int[this.blocks.length];
        byte[][] names = new byte[this.blocks.length][];
        int max = 1;
        for (int i = 0; i < this.blocks.length; i++) {
            pagesPerPacket[i] = record.pagesPerPacket(this.blocks[i].pageSize());
            max = Math.max(max, pagesPerPacket[i]);
            names[i] = ACCESS.nameBytes(this.blocks[i]);
        }
        this.maxPagesPerPacket = max;
        this.table = new BlockTable(names);
        this.written = new PageBitmap[this.blocks.length];
        if (startZeroed) {
            for (int i = 0; i < this.blocks.length; i++) {
                written[i] = new PageBitmap(this.blocks[i].pageCount());
            }
        }
        this.received = everyPage ? new PageBitmap[this.blocks.length] : null;
        if (everyPage) {
            for (int i = 0; i < this.blocks.length; i++) {
                received[i] = new PageBitmap(this.blocks[i].pageCount());
            }
        }
    }

    /**
     * Checks, if asked at construction, that every page of every block arrived at least once.
     * Called on the receiver's coordinating thread after every channel delivered its end of
     * stream, so every page has been applied; before COMPLETED is sent, so the sender is told.
     *
     * @param timeout unused: nothing is waited for
     * @throws SetupRefusedException naming the first block with pages that never arrived, how
     *                               many, and the first of them
     */
    @Override
    public void finish(Duration timeout) throws SetupRefusedException {
        String incomplete = postcopy == null ? null : postcopy.checkComplete();
        if (incomplete != null) {
            SetupRefusedException e = new SetupRefusedException(incomplete);
            postcopy.fail(e);
            throw e;
        }
        if (received == null) {
            return;
        }
        for (int i = 0; i < blocks.length; i++) {
            PageBitmap r = received[i];
            long missing = r.countClear();
            if (missing > 0) {
                RamBlock b = blocks[i];
                long first = r.firstClear();
                long offset = first * b.pageSize();
                throw new SetupRefusedException("ram: block '" + b.name() + "': " + missing + " of " + r.pages()
                        + " pages never arrived in this session (first: page " + first + " at offset 0x"
                        + Long.toHexString(offset) + "); the receiver requires every page");
            }
        }
    }

    @Override
    public void abort(Throwable cause) {
        if (postcopy != null) {
            postcopy.fail(cause);
        }
    }

    @Override
    public PayloadChannelReceiver openChannel(int channelId) {
        return new RamChannelReceiver(this);
    }

    @Override
    public String toString() {
        return "RamReceiver[" + blocks.length + " blocks, batch " + record.batchBytes() + "]";
    }
}
