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
package io.multifd.ram.snapshot;

import java.util.Objects;

/**
 * Where one RAM block lives in a snapshot file: its record (name, length and the 28-byte
 * mapped-ram header), its bitmap of present pages and its page area. Page {@code i} of the block
 * is at {@code pagesOffset + i * pageSize}; a page whose bit is clear is a zero page and is not in
 * the file. All offsets are absolute positions in the file. Immutable.
 *
 * @param name         the block's name
 * @param length       the block's length in bytes
 * @param pageSize     its page size in bytes, a power of two
 * @param recordOffset where the block's record starts (its name)
 * @param bitmapOffset where its bitmap starts: right after the record
 * @param pagesOffset  where its page area starts, a multiple of {@link SnapshotFormat#PAGE_AREA_ALIGNMENT}
 */
public record SnapshotBlock(String name, long length, int pageSize, long recordOffset, long bitmapOffset,
                            long pagesOffset) {

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if a length, page size or offset is negative, or the page
     *                                  size is not a power of two
     */
    public SnapshotBlock {
        Objects.requireNonNull(name, "name");
        if (length < 0 || recordOffset < 0 || bitmapOffset < 0 || pagesOffset < 0) {
            throw new IllegalArgumentException("negative length or offset in block '" + name + "'");
        }
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("block '" + name + "': page size " + pageSize + " is not a power of two");
        }
    }

    /**
     * The number of pages: {@code ceil(length / pageSize)}.
     *
     * @return the page count
     */
    public long pageCount() {
        return (length + pageSize - 1) / pageSize;
    }

    /**
     * The bitmap's length in bytes: whole 64-bit words, one bit per page.
     *
     * @return the bitmap length
     */
    public long bitmapLength() {
        return (pageCount() + 63) / 64 * 8;
    }

    /**
     * The first byte after the page area.
     *
     * @return {@code pagesOffset + length}
     */
    public long pagesEnd() {
        return pagesOffset + length;
    }
}
