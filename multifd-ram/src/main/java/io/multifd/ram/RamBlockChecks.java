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

import java.nio.charset.StandardCharsets;
import java.util.Objects;

import static io.multifd.ram.RamBlock.MAX_LENGTH;
import static io.multifd.ram.RamBlock.MAX_NAME_LENGTH;
import static io.multifd.ram.RamBlock.MAX_PAGE_SIZE;
import static io.multifd.ram.RamBlock.MAX_SEGMENT_SIZE;
import static io.multifd.ram.RamBlock.MIN_PAGE_SIZE;
import static io.multifd.ram.RamBlock.MIN_SEGMENT_SIZE;

/** The argument checks and segment arithmetic of {@link RamBlock}'s factories. Any thread. */
final class RamBlockChecks {

    private RamBlockChecks() {
    }

    /** The checks every factory makes: {@link #checkName}, {@link #checkLength}, {@link #checkPageSize}. */
    static void checkBlock(String name, long length, int pageSize) {
        checkName(name);
        checkLength(length);
        checkPageSize(pageSize);
    }

    static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        int n = name.getBytes(StandardCharsets.UTF_8).length;
        if (n == 0 || n > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("block name must be 1 to " + MAX_NAME_LENGTH
                    + " bytes of UTF-8, not " + n + ": '" + name + "'");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("block name must not contain NUL: '" + name + "'");
        }
    }

    static void checkLength(long length) {
        if (length < 1 || length > MAX_LENGTH) {
            throw new IllegalArgumentException("block length must be 1 to " + MAX_LENGTH + " bytes: " + length);
        }
    }

    static void checkPageSize(int pageSize) {
        if (pageSize < MIN_PAGE_SIZE || pageSize > MAX_PAGE_SIZE || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two from " + MIN_PAGE_SIZE
                    + " to " + MAX_PAGE_SIZE + ": " + pageSize);
        }
    }

    static int segmentShift(long segmentSize) {
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE || Long.bitCount(segmentSize) != 1) {
            throw new IllegalArgumentException("segment size must be a power of two from " + MIN_SEGMENT_SIZE
                    + " to " + MAX_SEGMENT_SIZE + ": " + segmentSize);
        }
        return Long.numberOfTrailingZeros(segmentSize);
    }

    static int segmentCount(long length, int shift) {
        return (int) ((length + (1L << shift) - 1) >>> shift);
    }

    static int segmentLength(long length, int shift, int index) {
        return (int) Math.min(1L << shift, length - ((long) index << shift));
    }
}
