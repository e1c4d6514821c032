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

import java.io.IOException;
import java.util.Objects;

/**
 * A snapshot file (or a QEMU mapped-ram migration file) that cannot be read as it is, with the
 * {@linkplain Reason reason} named. Nothing was written to any destination block when the reason is
 * found while opening ({@link SnapshotReader#open}); during a restore, the destination holds a
 * partial copy and must not be used.
 */
public final class SnapshotFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** What is wrong with the file. */
    public enum Reason {
        /** Neither a snapshot header nor a QEMU stream header at the start offset. */
        NOT_A_SNAPSHOT,
        /** A format version, codec or block header version this reader does not know. */
        UNSUPPORTED,
        /** The save did not complete (no final header, or a QEMU stream without its end). */
        INCOMPLETE,
        /** The file ends before an area the header describes. */
        TRUNCATED,
        /** A bitmap marks a page past the end of its block. */
        BITMAP_PAST_END,
        /** The snapshot's blocks do not match the destination's (names, lengths or page sizes). */
        BLOCK_MISMATCH,
        /** Two areas of the file overlap, or an area starts before the snapshot's start offset. */
        OVERLAPPING_AREAS,
        /** A checksum over the header, a block's record and bitmap, or the device state differs. */
        CHECKSUM_MISMATCH,
        /** A field holds a value that cannot be (an unaligned offset, a bad length, a bad record). */
        MALFORMED
    }

    private final Reason reason;

    /**
     * Makes the exception.
     *
     * @param reason  what is wrong
     * @param message the details: which block, which offset, which value
     */
    public SnapshotFormatException(Reason reason, String message) {
        super(Objects.requireNonNull(reason, "reason").name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                + ": " + message);
        this.reason = reason;
    }

    /**
     * What is wrong with the file.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
