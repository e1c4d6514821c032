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

import io.multifd.ram.RamBlock;
import io.multifd.ram.RamBody;

import java.nio.ByteBuffer;

/**
 * The way the encoder and the receivers in this package reach the parts of {@link RamBlock} and
 * {@link RamBody} that are not public API: a block's name bytes, page shift and backing segments,
 * and a body's offset array. The exported package installs the one implementation when
 * {@link RamBlock} is initialized; since this package is not exported, nothing outside the module
 * can reach it on the module path.
 *
 * <p>Thread-safe: the implementation is stateless, and {@link #get()} may be called from any
 * thread. The arrays returned are the objects' own (no copy): the caller follows the owner rules
 * of {@link RamBlock} (memory) and {@link RamBody} (the slot's owner).
 */
public abstract class RamAccess {

    private static volatile RamAccess installed;

    /** For the one implementation, in the exported package. */
    protected RamAccess() {
    }

    /**
     * Installs the implementation. Called once, by {@link RamBlock}'s class initializer.
     *
     * @param access the implementation
     * @throws IllegalStateException if one is installed already
     */
    public static synchronized void install(RamAccess access) {
        if (installed != null) {
            throw new IllegalStateException("RamAccess is installed already");
        }
        installed = access;
    }

    /**
     * Returns the implementation, initializing {@link RamBlock} first if nothing did yet.
     *
     * @return the implementation
     */
    public static RamAccess get() {
        RamAccess a = installed;
        if (a == null) {
            try {
                Class.forName(RamBlock.class.getName(), true, RamAccess.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = installed;
            if (a == null) {
                throw new IllegalStateException("RamBlock did not install its RamAccess");
            }
        }
        return a;
    }

    /**
     * A block's name as UTF-8.
     *
     * @param block the block
     * @return its own array; never modified
     */
    public abstract byte[] nameBytes(RamBlock block);

    /**
     * A block's backing segments.
     *
     * @param block the block
     * @return its own array of shared buffers; never repositioned (make duplicates)
     */
    public abstract ByteBuffer[] segments(RamBlock block);

    /**
     * The base-2 logarithm of a block's page size.
     *
     * @param block the block
     * @return the page shift
     */
    public abstract int pageShift(RamBlock block);

    /**
     * The segment that holds a byte of a block.
     *
     * @param block  the block
     * @param offset a byte offset within the block
     * @return the segment index
     */
    public abstract int segmentIndex(RamBlock block, long offset);

    /**
     * Where a byte of a block lies within its segment.
     *
     * @param block  the block
     * @param offset a byte offset within the block
     * @return the position in segment {@link #segmentIndex(RamBlock, long)}
     */
    public abstract int segmentOffset(RamBlock block, long offset);

    /**
     * A body's offset array: the first {@link RamBody#count()} entries are its pages. The channel
     * thread that owns the body while preparing its packet may reorder those entries.
     *
     * @param body the body
     * @return its own array
     */
    public abstract long[] offsets(RamBody body);
}
