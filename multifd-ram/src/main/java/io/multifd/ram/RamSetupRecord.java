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
import io.multifd.api.spi.PeerText;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The RAM payload's setup record: the entry for payload id 1 in the session manifest, which tells
 * the receiver which blocks will arrive. Immutable.
 *
 * <h2>Byte layout, version 1</h2>
 * Big-endian, like the rest of the protocol:
 * <pre>
 * offset size  field                    rule
 *   0     1    version                  1
 *   1     1    flags                    bit 0: post-copy may follow; bit 1: resumes a paused post-copy
 *   2     2    block count B            1 to {@value #MAX_BLOCKS}
 *   4     4    batch bytes              {@value #MIN_BATCH_BYTES} to 64 MiB: page data per packet
 *   8     ...  B block entries, each:
 *         1    name length n            1 to 255
 *         n    name                     UTF-8, no NUL, unique within the record
 *         4    page size                power of two, 512 to 2 MiB
 *         8    length                   1 to 2^52 bytes
 * </pre>
 * The entries fill the record exactly. The batch size fixes the receiver's cap on pages per packet
 * for each block: {@code max(1, batchBytes / pageSize)}.
 *
 * <p>{@link #decode(ByteBuffer, long)} treats the bytes as hostile: every field is checked before
 * it is used, nothing is allocated from a length before that length was checked against what is
 * left of the record, and a refusal is a {@link SetupRefusedException} naming the field
 * ({@code ram.setup.<field>}) and its value.
 *
 * @param batchBytes the sender's batch: page data bytes per packet at most (a packet carries at
 *                   least one page, even a larger one)
 * @param blocks     the blocks, in the sender's order
 * @param postcopy   the sender may switch to post-copy: it will send missing-page maps and the
 *                   release marker, and it reads page requests on the return path
 * @param resume     the session resumes a paused post-copy (implies {@code postcopy})
 */
public record RamSetupRecord(int batchBytes, List<RamBlockInfo> blocks, boolean postcopy, boolean resume) {

    /** Flag: post-copy may follow. */
    public static final int FLAG_POSTCOPY = 0x1;
    /** Flag (with {@link #FLAG_POSTCOPY}): this session resumes a paused post-copy over new channels. */
    public static final int FLAG_RESUME = 0x2;

    /** The layout version this class writes and reads. */
    public static final int VERSION = 1;
    /** The most blocks one record may announce. */
    public static final int MAX_BLOCKS = 4096;
    /** The smallest batch. */
    public static final int MIN_BATCH_BYTES = RamBlock.MIN_PAGE_SIZE;
    /** The largest batch: 64 MiB (the protocol's largest packet). */
    public static final int MAX_BATCH_BYTES = 64 << 20;

    private static final int FIXED = 8;

    /**
     * A record of a pre-copy-only sender.
     *
     * @param batchBytes the batch size
     * @param blocks     the blocks
     */
    public RamSetupRecord(int batchBytes, List<RamBlockInfo> blocks) {
        this(batchBytes, blocks, false, false);
    }

    /** This record with the post-copy flag set. */
    public RamSetupRecord withPostcopy() {
        return new RamSetupRecord(batchBytes, blocks, true, resume);
    }

    /** This record with the post-copy and resume flags set. */
    public RamSetupRecord withResume() {
        return new RamSetupRecord(batchBytes, blocks, true, true);
    }

    /**
     * Validates the fields and copies the list.
     *
     * @throws IllegalArgumentException if the batch is out of range, there is no block or too many,
     *                                  or two blocks have the same name
     */
    public RamSetupRecord {
        if (batchBytes < MIN_BATCH_BYTES || batchBytes > MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("batch must be " + MIN_BATCH_BYTES + " to " + MAX_BATCH_BYTES
                    + " bytes: " + batchBytes);
        }
        blocks = List.copyOf(blocks);
        if (blocks.isEmpty() || blocks.size() > MAX_BLOCKS) {
            throw new IllegalArgumentException("a RAM setup record holds 1 to " + MAX_BLOCKS + " blocks, not "
                    + blocks.size());
        }
        Set<String> names = new HashSet<>();
        for (RamBlockInfo b : blocks) {
            if (!names.add(b.name())) {
                throw new IllegalArgumentException("two blocks are named '" + b.name() + "'");
            }
        }
    }

    /**
     * Describes blocks.
     *
     * @param batchBytes the batch size
     * @param blocks     the blocks
     * @return the record
     */
    public static RamSetupRecord of(int batchBytes, List<RamBlock> blocks) {
        List<RamBlockInfo> infos = new ArrayList<>(blocks.size());
        for (RamBlock b : blocks) {
            infos.add(RamBlockInfo.of(b));
        }
        return new RamSetupRecord(batchBytes, infos);
    }

    /** The sum of the block lengths. */
    public long totalBytes() {
        long t = 0;
        for (RamBlockInfo b : blocks) {
            t += b.length();
        }
        return t;
    }

    /** Pages per packet at most for a block of this page size: {@code max(1, batchBytes / pageSize)}. */
    public int pagesPerPacket(int pageSize) {
        return RamBody.capacityFor(pageSize, batchBytes);
    }

    /**
     * Writes the record in its byte layout.
     *
     * @return a new heap buffer, position 0, limit the record length; owned by the caller
     */
    public ByteBuffer encode() {
        int size = FIXED;
        List<byte[]> names = new ArrayList<>(blocks.size());
        for (RamBlockInfo b : blocks) {
            byte[] n = b.name().getBytes(StandardCharsets.UTF_8);
            names.add(n);
            size += 1 + n.length + 4 + 8;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put((byte) VERSION).put((byte) ((postcopy ? FLAG_POSTCOPY : 0) | (resume ? FLAG_RESUME : 0))).putShort((short) blocks.size()).putInt(batchBytes);
        for (int i = 0; i < blocks.size(); i++) {
            RamBlockInfo b = blocks.get(i);
            byte[] n = names.get(i);
            buf.put((byte) n.length).put(n).putInt(b.pageSize()).putLong(b.length());
        }
        return buf.flip();
    }

    /**
     * Reads and validates a record. The buffer's bytes from position to limit are the record; the
     * buffer is not modified (absolute reads only).
     *
     * @param record        the bytes, untrusted; read during the call only
     * @param maxTotalBytes the receiver's limit on the sum of the block lengths
     * @return the record
     * @throws SetupRefusedException naming the field ({@code ram.setup.*}) and value
     */
    public static RamSetupRecord decode(ByteBuffer record, long maxTotalBytes) throws SetupRefusedException {
        Objects.requireNonNull(record, "record");
        int p = record.position();
        int end = record.limit();
        if (end - p < FIXED) {
            throw refuse("length", end - p, "shorter than the " + FIXED + "-byte fixed part");
        }
        int version = record.get(p) & 0xFF;
        if (version != VERSION) {
            throw refuse("version", version, "this receiver reads version " + VERSION + " only");
        }
        int flags = record.get(p + 1) & 0xFF;
        if ((flags & ~(FLAG_POSTCOPY | FLAG_RESUME)) != 0 || flags == FLAG_RESUME) {
            throw refuse("flags", flags, "only bit 0 (post-copy) and bit 1 (resume, with bit 0) are defined");
        }
        int count = record.getShort(p + 2) & 0xFFFF;
        if (count < 1 || count > MAX_BLOCKS) {
            throw refuse("blockCount", count, "must be 1 to " + MAX_BLOCKS);
        }
        int batch = record.getInt(p + 4);
        if (batch < MIN_BATCH_BYTES || batch > MAX_BATCH_BYTES) {
            throw refuse("batchBytes", Integer.toUnsignedLong(batch), "must be " + MIN_BATCH_BYTES + " to "
                    + MAX_BATCH_BYTES);
        }
        p += FIXED;
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        List<RamBlockInfo> blocks = new ArrayList<>(Math.min(count, 64));
        Set<String> names = new HashSet<>();
        long total = 0;
        for (int i = 0; i < count; i++) {
            if (end - p < 1) {
                throw refuse("length", record.remaining(), "ends inside block entry " + i + " of " + count);
            }
            int n = record.get(p) & 0xFF;
            if (n == 0) {
                throw refuse("nameLength", 0, "block entry " + i + ": a name has 1 to 255 bytes");
            }
            if (end - p < 1 + n + 12) {
                throw refuse("length", record.remaining(), "ends inside block entry " + i + " of " + count);
            }
            String name;
            try {
                CharBuffer cb = utf8.decode(record.duplicate().limit(p + 1 + n).position(p + 1));
                name = cb.toString();
            } catch (CharacterCodingException e) {
                throw refuse("name", "(" + n + " bytes)", "block entry " + i + ": not valid UTF-8");
            }
            if (name.indexOf('\0') >= 0) {
                throw refuse("name", shown(name), "block entry " + i + ": contains NUL");
            }
            if (!names.add(name)) {
                throw refuse("name", shown(name), "block entry " + i + ": announced twice");
            }
            p += 1 + n;
            int pageSize = record.getInt(p);
            if (pageSize < RamBlock.MIN_PAGE_SIZE || pageSize > RamBlock.MAX_PAGE_SIZE
                    || Integer.bitCount(pageSize) != 1) {
                throw refuse("pageSize", Integer.toUnsignedLong(pageSize), "block '" + shown(name)
                        + "': must be a power of two from " + RamBlock.MIN_PAGE_SIZE + " to " + RamBlock.MAX_PAGE_SIZE);
            }
            long length = record.getLong(p + 4);
            if (length < 1 || length > RamBlock.MAX_LENGTH) {
                throw refuse("blockLength", Long.toUnsignedString(length), "block '" + shown(name) + "': must be 1 to "
                        + RamBlock.MAX_LENGTH);
            }
            total += length; // cannot overflow: at most 4096 * 2^52
            if (total > maxTotalBytes) {
                throw refuse("blockLength", length, "block '" + shown(name) + "' brings the total to " + total
                        + " bytes, over this receiver's limit of " + maxTotalBytes + " bytes (maxTotalBytes)");
            }
            p += 12;
            blocks.add(new RamBlockInfo(name, length, pageSize));
        }
        if (p != end) {
            throw refuse("length", end - record.position(), (end - p) + " bytes after the last block entry");
        }
        return new RamSetupRecord(batch, Collections.unmodifiableList(blocks), (flags & FLAG_POSTCOPY) != 0,
                (flags & FLAG_RESUME) != 0);
    }

    /**
     * A block name from the peer as it may appear in a message or a log line: escaped by the
     * library's one rule ({@link PeerText}), cut after 255 characters (a name is at most 255
     * bytes anyway).
     *
     * @param name the announced name
     * @return the escaped name
     */
    static String shown(String name) {
        return PeerText.escape(name, RamBlock.MAX_NAME_LENGTH);
    }

    static SetupRefusedException refuse(String field, Object value, String reason) {
        return new SetupRefusedException("ram setup record: field 'ram.setup." + field + "' = " + value + ": " + reason);
    }
}
