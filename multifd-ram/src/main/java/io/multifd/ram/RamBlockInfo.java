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

/**
 * What the setup record says about one block: its name, length and page size. Immutable.
 *
 * <p>The receiver gets these from the sender's manifest (validated: name 1 to 255 bytes of UTF-8
 * without NUL, length from 1 to {@link RamBlock#MAX_LENGTH}, page size a power of two from
 * {@value RamBlock#MIN_PAGE_SIZE} to {@value RamBlock#MAX_PAGE_SIZE}) and hands them to its
 * {@link RamDestination}.
 *
 * @param name     the block name
 * @param length   the block length in bytes
 * @param pageSize the page size in bytes
 */
public record RamBlockInfo(String name, long length, int pageSize) {

    /**
     * Validates the fields.
     *
     * @throws IllegalArgumentException if a field is out of range
     */
    public RamBlockInfo {
        RamBlockChecks.checkBlock(name, length, pageSize);
    }

    /**
     * Describes an existing block.
     *
     * @param block the block
     * @return its name, length and page size
     */
    public static RamBlockInfo of(RamBlock block) {
        return new RamBlockInfo(block.name(), block.length(), block.pageSize());
    }

    /** The number of pages, the last one possibly partial. */
    public long pageCount() {
        return (length + pageSize - 1) / pageSize;
    }

    /**
     * Tells whether a block has exactly this name, length and page size.
     *
     * @param block a block
     * @return true if it matches
     */
    public boolean matches(RamBlock block) {
        return block.name().equals(name) && block.length() == length && block.pageSize() == pageSize;
    }
}
