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
package io.multifd.examples.diskblock;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A virtual disk held in memory: {@link #blockCount()} blocks of {@link #blockSize()} bytes,
 * addressed by LBA (logical block address, 0 to {@code blockCount - 1}). The data the example
 * plug-in migrates.
 *
 * <h2>Ownership and threads</h2>
 * The object is immutable; the memory behind it is shared and unsynchronized, like a RAM block's.
 * On the sender the product may keep writing blocks while they migrate (a block written after it
 * was sent must be sent again, in a later sync epoch); the channel threads only read. On the
 * receiver the channel threads write each block from one thread at a time, and the product reads
 * the disk only after the migration completed. {@link #read} and {@link #write} use absolute
 * positions, so any thread may call them.
 */
public final class VirtualDisk {

    /** The smallest block size: 512 bytes (a sector). */
    public static final int MIN_BLOCK_SIZE = 512;
    /** The largest block size: 64 KiB. */
    public static final int MAX_BLOCK_SIZE = 64 << 10;

    private final String name;
    private final int blockSize;
    private final long blockCount;
    private final ByteBuffer memory;

    /**
     * Makes a disk of zero-filled direct memory.
     *
     * @param name       1 to 255 bytes of UTF-8: the sender and receiver must agree on it
     * @param blockSize  a power of two from {@value #MIN_BLOCK_SIZE} to {@value #MAX_BLOCK_SIZE}
     * @param blockCount at least 1; the disk is at most 2 GiB - 1 byte in this example
     * @throws IllegalArgumentException if an argument is out of range
     */
    public VirtualDisk(String name, int blockSize, long blockCount) {
        checkName(name);
        if (blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two from " + MIN_BLOCK_SIZE + " to "
                    + MAX_BLOCK_SIZE + ": " + blockSize);
        }
        if (blockCount < 1 || blockCount * blockSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("block count must be 1 to " + (Integer.MAX_VALUE / blockSize)
                    + " for blocks of " + blockSize + " bytes: " + blockCount);
        }
        this.name = name;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.memory = ByteBuffer.allocateDirect((int) (blockCount * blockSize));
    }

    static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        if (n < 1 || n > 255) {
            throw new IllegalArgumentException("disk name must be 1 to 255 bytes of UTF-8: '" + name + "'");
        }
    }

    /** The disk's name. */
    public String name() {
        return name;
    }

    /** The block size in bytes. */
    public int blockSize() {
        return blockSize;
    }

    /** The number of blocks. */
    public long blockCount() {
        return blockCount;
    }

    /**
     * Reads one block.
     *
     * @param lba the block's address
     * @param dst receives {@link #blockSize()} bytes from index 0; owned by the caller
     * @throws IndexOutOfBoundsException if the address or the array is out of range
     */
    public void read(long lba, byte[] dst) {
        memory.get(offset(lba), dst, 0, blockSize);
    }

    /**
     * Writes one block.
     *
     * @param lba the block's address
     * @param src {@link #blockSize()} bytes from index 0; read during the call only
     * @throws IndexOutOfBoundsException if the address or the array is out of range
     */
    public void write(long lba, byte[] src) {
        memory.put(offset(lba), src, 0, blockSize);
    }

    /**
     * A new view of the whole disk, for a channel to re-position per block (made once per channel,
     * not per packet). The view shares the disk's memory; the caller owns the view object.
     *
     * <p>For the plug-in's encoder and receivers: the sender reads through it, the receiver
     * writes through it.
     *
     * @return a duplicate of the disk's memory, position 0, limit its capacity
     */
    public ByteBuffer newView() {
        return memory.duplicate().clear();
    }

    /**
     * Where a block starts in the disk's memory (and in every {@link #newView()}).
     *
     * @param lba the block's address
     * @return its byte offset
     * @throws IndexOutOfBoundsException if the address is outside the disk
     */
    public int offset(long lba) {
        if (lba < 0 || lba >= blockCount) {
            throw new IndexOutOfBoundsException("LBA " + lba + " outside disk '" + name + "' of " + blockCount + " blocks");
        }
        return (int) (lba * blockSize);
    }

    @Override
    public String toString() {
        return "VirtualDisk[" + name + ", " + blockCount + " blocks of " + blockSize + " bytes]";
    }
}
