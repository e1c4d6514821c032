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
package io.multifd.examples.cli;

import io.multifd.api.SetupRefusedException;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamBlockInfo;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamSetupRecord;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output file, written as {@code FILE.part} and renamed to FILE once the migration
 * completed ({@link PartFile}). {@link #prepare} (main thread, before listening) refuses a FILE
 * or FILE.part that is a symbolic link, and an existing FILE unless {@code --force}; it creates
 * FILE.part exclusively ({@code O_CREAT|O_EXCL}, never through a symbolic link), mode 0600, in
 * FILE's directory. {@link #open} runs on the receiver's manifest thread and maps one block per
 * announced block; {@link #forceData} on the receiver's coordinating thread before COMPLETED
 * is sent; {@link #commit} and {@link #discard} on the main thread (or the shutdown hook)
 * after the receiver ended.
 */
final class OutputFile {
    private final PartFile out;
    private final Path part;
    private final boolean fsync;
    private FileChannel file;
    /** Where the next block starts in FILE.part (before a page-size alignment). */
    private long next;
    /** Set by {@link #preallocate}: every page of FILE.part exists, so pages arrive through the mapping. */
    private boolean preallocated;
    /**
     * Set by {@link #preallocate}: FILE.part's preallocated bytes, mapped and faulted in for
     * writing before the receiver listens; the first block takes it over if it has exactly that
     * place and length (then null).
     */
    private RamBlock premapped;
    private final List<RamBlock> blocks = new ArrayList<>();
    private final Map<RamBlock, Long> positions = new IdentityHashMap<>();
    volatile long ramBytes;
    volatile int pageSize = RamBlock.DEFAULT_PAGE_SIZE;
    private boolean committed;

    OutputFile(Path target, boolean force, boolean fsync) {
        this.out = new PartFile("--out", target, force);
        this.part = out.part();
        this.fsync = fsync;
    }

    /** See {@link PartFile#refuseInput}; before {@link #prepare}. Main thread. */
    void refuseInput(Path input, String inputOption) throws IOException {
        out.refuseInput(input, inputOption);
    }

    /**
     * Checks FILE and creates FILE.part, empty, exclusively and with mode 0600.
     *
     * @throws UsageException if FILE or FILE.part is a symbolic link, FILE exists without
     *                        {@code --force}, or FILE.part exists (a leftover: removed first
     *                        with {@code --force})
     * @throws IOException    if FILE.part cannot be created
     */
    synchronized void prepare() throws IOException {
        file = out.create();
    }

    /**
     * The RAM destination: blocks mapped from FILE.part (new, so all-zero and sparse), whose
     * pages the channel threads write with positional writes ({@link #writeTarget}), or read
     * straight into the mapping once the file was preallocated. Known-zero: zero pages that
     * arrive for pages not written yet are skipped without touching the file, so its holes stay
     * holes. With {@code --fsync} its
     * {@link RamDestination#finished()} forces the data before the sender is told COMPLETED.
     */
    RamDestination destination(Progress progress, RecvCommand.ReceivedBytes received) {
        RamDestination blocks = RamDestination.creatingZeroed(this::create);
        return new FileDestination() {
            @Override
            public List<RamBlock> open(RamSetupRecord announced) throws io.multifd.api.SetupRefusedException {
                ramBytes = announced.totalBytes();
                if (!announced.blocks().isEmpty()) {
                    pageSize = announced.blocks().get(0).pageSize();
                }
                List<RamBlock> out = blocks.open(announced);
                int ps = pageSize;
                progress.begin("receiving", ramBytes, () -> received.get(ps));
                return out;
            }

            @Override
            public boolean blocksStartZeroed() {
                return blocks.blocksStartZeroed();
            }

        };
    }

    /**
     * The destination of a session that resumes a paused post-copy: the blocks the first
     * session mapped (the same objects, so the post-copy access and its readers see the same
     * memory), written with the same positional writes. The announced blocks must be those.
     */
    RamDestination resumeDestination() {
        return new FileDestination() {
            @Override
            public List<RamBlock> open(RamSetupRecord announced) throws io.multifd.api.SetupRefusedException {
                List<RamBlock> mine;
                synchronized (OutputFile.this) {
                    mine = List.copyOf(blocks);
                }
                if (announced.blocks().size() != mine.size()) {
                    throw new io.multifd.api.SetupRefusedException("ram: the resumed session announces "
                            + announced.blocks().size() + " blocks, the paused one had " + mine.size());
                }
                return mine; // matched against the announcement by the RAM payload
            }

        };
    }

    /**
     * What both destinations of FILE.part share: the file region of each block, and with
     * {@code --fsync} the data forced before the sender is told COMPLETED. Called by the RAM
     * payload on the receiver's threads.
     */
    private abstract class FileDestination implements RamDestination {
        @Override
        public WriteTarget writeTarget(RamBlock block) {
            return OutputFile.this.writeTarget(block);
        }

        @Override
        public void finished() throws IOException {
            if (fsync) {
                forceData();
            }
        }
    }

    private synchronized RamBlock create(RamBlockInfo info) throws IOException {
        if (file == null) {
            throw new IOException("'" + part + "' is closed");
        }
        long position = (next + info.pageSize() - 1) / info.pageSize() * info.pageSize();
        long end = position + info.length();
        if (premapped != null) {
            RamBlock mine = premapped;
            premapped = null; // one block can take it over; the mapping goes with the last reference
            if (position == 0 && info.length() == mine.length()) {
                RamBlock b = mine.view(info.name(), info.pageSize());
                next = end;
                blocks.add(b);
                positions.put(b, position);
                return b;
            }
        }
        if (end > file.size()) {
            // one zero byte at the end extends the file as a hole (FileChannel.map would allocate it)
            file.write(ByteBuffer.allocate(1), end - 1);
        }
        next = end;
        RamBlock b = RamBlock.map(info.name(), file, position, info.length(), info.pageSize(),
                FileChannel.MapMode.READ_WRITE);
        blocks.add(b);
        positions.put(b, position);
        return b;
    }

    /**
     * Into a new file, pages are written to FILE.part with positional writes, not through the
     * mapping: about half the CPU (no page fault, no clearing of each new page; measured in
     * docs/performance.md). The mapping stays the block's readable view of the same pages.
     * Into a preallocated file (every page exists) the channel threads read the data straight
     * into the mapping: no staging copy, no system call per run of pages.
     */
    private synchronized RamDestination.WriteTarget writeTarget(RamBlock block) {
        Long position = positions.get(block);
        return position == null || file == null || preallocated
                ? null : new RamDestination.WriteTarget(file, position);
    }

    /**
     * Writes FILE.part full of zeros up to {@code size} bytes with positional writes, so that
     * its pages are allocated (in the page cache and on the file system) before the sender
     * connects (a faster way to allocate than touching a mapping), then maps them and takes
     * one write fault per page (the fault that makes a shared file page writable, which would
     * otherwise be taken by the channel threads during the migration). A first block that
     * starts at the file's start and has {@code size} bytes is received through that mapping;
     * other layouts map their own (measured in docs/performance.md). Main thread, after
     * {@link #prepare}, before listening.
     *
     * @param size the bytes to write, the size {@code --expect-size} announces
     * @throws IOException if the file cannot be written (the disk is full)
     */
    synchronized void preallocate(long size) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
        for (long pos = 0; pos < size; ) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), size - pos));
            while (zeros.hasRemaining()) {
                pos += file.write(zeros, pos);
            }
        }
        preallocated = true;
        premapped = RamBlock.map("preallocated", file, 0, size, RamBlock.DEFAULT_PAGE_SIZE,
                FileChannel.MapMode.READ_WRITE).prefault();
    }

    /** Forces every mapped block and the file's data and metadata to the device. */
    synchronized void forceData() throws IOException {
        try {
            blocks.forEach(RamBlock::force);
        } catch (java.io.UncheckedIOException e) {
            throw new IOException("cannot force '" + part + "' to disk: " + e.getCause().getMessage(), e.getCause());
        }
        if (file != null) {
            file.force(true);
        }
    }

    /**
     * Completes the file: renames FILE.part to FILE (replacing FILE only with {@code --force})
     * and, with {@code --fsync}, forces the data (already done before COMPLETED when RAM was
     * received) and then the directory, so that the rename is durable.
     */
    synchronized void commit() throws IOException {
        if (fsync) {
            forceData();
        }
        out.commit(fsync);
        committed = true;
    }

    /**
     * Keeps FILE.part of a migration that failed after every page arrived and the receiver told
     * the sender so (the sender's outcome unknown), its data forced to disk: it may be the only
     * complete copy. Any thread.
     *
     * @return FILE.part
     */
    synchronized Path keep() {
        try {
            forceData();
        } catch (IOException ignored) {
            // kept as it is: the page cache still holds the data
        }
        committed = true;
        file = null;
        return out.keep();
    }

    /** Removes the partial file of a failed migration. Any thread; idempotent. */
    synchronized void discard() {
        if (committed) {
            return;
        }
        out.discard();
        file = null;
    }
}
