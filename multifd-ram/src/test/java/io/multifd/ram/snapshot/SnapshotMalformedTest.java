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

import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamSaver;
import io.multifd.ram.snapshot.SnapshotFormatException.Reason;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every malformed file is refused with its reason, and nothing before the start offset is touched. */
class SnapshotMalformedTest {

    private static final long START = 8192 + 17;

    @TempDir
    Path dir;
    private Path file;
    private String prefixHash;
    private RamBlock a;
    private RamBlock b;

    /** A snapshot of two blocks (b has 100 pages: its bitmap's last word has unused bits) after a random prefix. */
    @BeforeEach
    void save() throws Exception {
        file = dir.resolve("snap");
        byte[] prefix = new byte[(int) START];
        new SplittableRandom(7).nextBytes(prefix);
        Files.write(file, prefix);
        prefixHash = SnapshotFixtures.sha256(file, 0, START);
        a = RamBlock.allocate("a", 2L << 20);
        b = RamBlock.allocate("b", 100 * 4096);
        SnapshotFixtures.fillMixed(a, 11);
        SnapshotFixtures.fillMixed(b, 12);
        try (FileChannel ch = rw(); SnapshotWriter w = SnapshotWriter.create(ch, START, 2, Duration.ofSeconds(30))) {
            RamSaver.open(w.session(), a, b).saveAll();
            w.addDeviceState("dev", 1, ByteBuffer.wrap(new byte[]{1, 2, 3, 4}));
            w.finish();
        }
    }

    private FileChannel rw() throws IOException {
        return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    private void assertRefused(Reason reason, String... words) throws IOException {
        assertThatThrownBy(() -> restore(RamDestination.allocating(new ArrayList<>())))
                .isInstanceOfSatisfying(SnapshotFormatException.class, e -> assertThat(e.reason()).isEqualTo(reason))
                .hasMessageContainingAll(words);
        assertThat(SnapshotFixtures.sha256(file, 0, START)).as("bytes before the start offset").isEqualTo(prefixHash);
    }

    private SnapshotStats restore(RamDestination dest) throws IOException {
        try (SnapshotReader r = SnapshotReader.open(file, START)) {
            r.deviceStates();
            return SnapshotRestore.builder(r).channels(2).build().run(dest);
        }
    }

    @Test
    void intactSnapshotRestores() throws Exception {
        List<RamBlock> out = new ArrayList<>();
        restore(RamDestination.allocating(out));
        assertThat(SnapshotFixtures.sha256(out.get(1))).isEqualTo(SnapshotFixtures.sha256(b));
        assertThat(SnapshotFixtures.sha256(file, 0, START)).isEqualTo(prefixHash);
    }

    @Test
    void bitmapsBeyondTheHeapBudgetAreRefusedBeforeAnyIsRead() throws Exception {
        // a's bitmap is 64 bytes, b's 16: a budget of 64 holds a and not both
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> SnapshotReader.open(ch, START, 64))
                    .isInstanceOfSatisfying(SnapshotFormatException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                    .hasMessageContainingAll("at least 80 bytes", "block 'b'", "at most 64", "-Xmx");
            SnapshotReader.open(ch, START, 80).close();
        }
    }

    @Test
    void truncatedFile() throws Exception {
        try (FileChannel ch = rw()) {
            ch.truncate(ch.size() - 3);
        }
        assertRefused(Reason.TRUNCATED, "ends at");
    }

    @Test
    void truncatedInsideTheHeader() throws Exception {
        try (FileChannel ch = rw()) {
            ch.truncate(START + 40);
        }
        assertRefused(Reason.TRUNCATED, "header");
    }

    @Test
    void bitmapNamingPagesPastTheBlockEnd() throws Exception {
        try (FileChannel ch = rw()) {
            SnapshotFormat.Header h = SnapshotFixtures.header(ch, START);
            SnapshotBlock blockB;
            try (SnapshotReader r = SnapshotReader.open(ch, START)) {
                blockB = r.block("b").orElseThrow();
            }
            long word = blockB.bitmapOffset() + 8; // pages 64..127; the block ends at page 100
            SnapshotFixtures.writeWord(ch, word, SnapshotFixtures.readWord(ch, word) | (1L << (110 - 64)));
            List<SnapshotFormat.Entry> entries = new ArrayList<>(h.blocks());
            SnapshotFormat.Entry e = entries.get(1);
            entries.set(1, new SnapshotFormat.Entry(e.name(), e.length(), e.pageSize(), e.recordOffset(),
                    SnapshotFixtures.recordCrc(ch, blockB)));
            SnapshotFixtures.rewriteHeader(ch, START, h, entries); // checksums right: the bitmap check must catch it
        }
        assertRefused(Reason.BITMAP_PAST_END, "page 110", "100 pages");
    }

    @Test
    void blockThatDoesNotMatchTheDestination() throws Exception {
        RamBlock wrongLength = RamBlock.allocate("a", 1L << 20);
        RamBlock rightB = RamBlock.allocate("b", 100 * 4096);
        assertThatThrownBy(() -> restore(RamDestination.of(wrongLength, rightB)))
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.BLOCK_MISMATCH))
                .hasMessageContaining("'a'");
        try (SnapshotReader r = SnapshotReader.open(file, START)) {
            assertThatThrownBy(() -> SnapshotRestore.builder(r).blocks(List.of("pc.ram")))
                    .isInstanceOfSatisfying(SnapshotFormatException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.BLOCK_MISMATCH))
                    .hasMessageContaining("no block 'pc.ram'");
        }
    }

    @Test
    void overlappingAreas() throws Exception {
        try (FileChannel ch = rw()) {
            SnapshotFormat.Header h = SnapshotFixtures.header(ch, START);
            SnapshotBlock blockA;
            try (SnapshotReader r = SnapshotReader.open(ch, START)) {
                blockA = r.block("a").orElseThrow();
            }
            List<SnapshotFormat.Entry> entries = new ArrayList<>(h.blocks());
            SnapshotFormat.Entry e = entries.get(1);
            // b's record moved into a's pages: the header's checksum is right, the layout is not
            long inside = blockA.pagesOffset() + 4096;
            ch.write(SnapshotFormat.encodeRecord(new SnapshotBlock("b", e.length(), e.pageSize(), inside,
                    inside + SnapshotFormat.recordLength("b"), blockA.pagesOffset() + (1 << 20))), inside);
            entries.set(1, new SnapshotFormat.Entry(e.name(), e.length(), e.pageSize(), inside, e.crc()));
            SnapshotFixtures.rewriteHeader(ch, START, h, entries);
        }
        assertRefused(Reason.OVERLAPPING_AREAS, "overlap");
    }

    @Test
    void areaBeforeTheStartOffset() throws Exception {
        try (FileChannel ch = rw()) {
            SnapshotFormat.Header h = SnapshotFixtures.header(ch, START);
            List<SnapshotFormat.Entry> entries = new ArrayList<>(h.blocks());
            SnapshotFormat.Entry e = entries.get(0);
            entries.set(0, new SnapshotFormat.Entry(e.name(), e.length(), e.pageSize(), 100, e.crc()));
            SnapshotFixtures.rewriteHeader(ch, START, h, entries);
        }
        assertRefused(Reason.OVERLAPPING_AREAS, "before the snapshot's start offset");
    }

    /** A forged header whose checksum is right: its fields are checked against each other before use. */
    @Test
    void headerFieldsThatDisagree() throws Exception {
        SnapshotFormat.Header h;
        try (FileChannel ch = rw()) {
            h = SnapshotFixtures.header(ch, START);
        }
        ByteBuffer forged = SnapshotFormat.encodeHeader(h);
        forged.putInt(blockPageSizeAt(forged, 1), 0); // block 'b': page size 0
        writeWithChecksum(forged);
        assertRefused(Reason.MALFORMED, "block 'b' has page size 0");
        forged = SnapshotFormat.encodeHeader(h);
        forged.putLong(24, 5); // the RAM total
        writeWithChecksum(forged);
        assertRefused(Reason.MALFORMED, "RAM total 5 bytes, but its blocks add up to " + h.ramBytes());
    }

    /** Where block {@code index}'s page size lies in an encoded header (see SnapshotFormat's layout). */
    private static int blockPageSizeAt(ByteBuffer header, int index) {
        int p = 32; // magic, version, length, page size, count, RAM total
        p += 1 + (header.get(p) & 0xff) + 8 + 8 + 4 + 4 + 8; // codec, device area, end
        for (int i = 0; ; i++) {
            p += 1 + (header.get(p) & 0xff) + 8; // name, length
            if (i == index) {
                return p;
            }
            p += 4 + 8 + 4; // page size, record offset, record checksum
        }
    }

    private void writeWithChecksum(ByteBuffer header) throws IOException {
        int len = header.limit();
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(header.duplicate().position(0).limit(len - 4));
        header.putInt(len - 4, (int) crc.getValue());
        try (FileChannel ch = rw()) {
            ch.write(header.duplicate().position(0), START);
        }
    }

    @Test
    void headerChecksumMismatch() throws Exception {
        flipByte(START + 30); // inside the RAM byte count
        assertRefused(Reason.CHECKSUM_MISMATCH, "header");
    }

    @Test
    void bitmapChecksumMismatch() throws Exception {
        long at;
        try (SnapshotReader r = SnapshotReader.open(file, START)) {
            at = r.block("a").orElseThrow().bitmapOffset() + 3;
        }
        flipByte(at);
        assertRefused(Reason.CHECKSUM_MISMATCH, "block 'a'");
    }

    /** The record of block b, as the (intact) header places it. */
    private SnapshotBlock blockB() throws IOException {
        try (SnapshotReader r = SnapshotReader.open(file, START)) {
            return r.block("b").orElseThrow();
        }
    }

    private void writeByte(long at, int value) throws IOException {
        try (FileChannel ch = rw()) {
            ch.write(ByteBuffer.wrap(new byte[]{(byte) value}), at);
        }
    }

    /** A record's name length damaged to run past the record: named as damage, not a buffer underflow. */
    @Test
    void recordNameLengthRunningPastTheRecord() throws Exception {
        writeByte(blockB().recordOffset(), 0xfa);
        assertRefused(Reason.MALFORMED, "a name of 250 bytes runs past");
    }

    /** The page-area offset in a record turned negative: refused as malformed before it is used. */
    @Test
    void recordPageAreaOffsetNegative() throws Exception {
        writeByte(blockB().recordOffset() + 2 + 8 + 4 + 8 + 8, 0xff); // the top byte of be64 pages
        assertRefused(Reason.MALFORMED, "block 'b': page area offset -");
    }

    /**
     * A name that is not UTF-8, in a header whose checksum is right: refused (decoded leniently,
     * different bytes would read as the same name, and part of a record would escape its checksum).
     */
    @Test
    void aNameThatIsNotUtf8() throws Exception {
        try (FileChannel ch = rw()) {
            ByteBuffer first = ByteBuffer.allocate(16);
            SnapshotReader.readFully(ch, first, START);
            int len = SnapshotFormat.declaredLength(first);
            ByteBuffer all = ByteBuffer.allocate(len);
            SnapshotReader.readFully(ch, all, START);
            byte[] h = all.array();
            int name = len - 4 - 26 + 1; // the last entry (block b): name8 "b", be64, be32, be64, be32
            assertThat(h[name - 1]).isEqualTo((byte) 1);
            assertThat(h[name]).isEqualTo((byte) 'b');
            h[name] = (byte) 0xff;
            ByteBuffer.wrap(h).putInt(len - 4, SnapshotFormat.crc(h, 0, len - 4));
            ch.write(ByteBuffer.wrap(h), START);
        }
        assertRefused(Reason.MALFORMED, "a name is not valid UTF-8: ff");
    }

    @Test
    void deviceStateChecksumMismatch() throws Exception {
        long at;
        try (FileChannel ch = rw()) {
            at = SnapshotFixtures.header(ch, START).deviceOffset() + 5;
        }
        flipByte(at);
        assertRefused(Reason.CHECKSUM_MISMATCH, "device-state");
    }

    @Test
    void deviceStateNamedTwice() throws Exception {
        try (FileChannel ch = rw()) {
            SnapshotFormat.Header h = SnapshotFixtures.header(ch, START);
            ByteBuffer entry = ByteBuffer.allocate((int) h.deviceLength()); // the one entry: 'dev' instance 1
            ch.read(entry, h.deviceOffset());
            entry.flip();
            ByteBuffer twice = ByteBuffer.allocate(2 * entry.remaining()).put(entry.duplicate()).put(entry.duplicate()).flip();
            ch.write(twice.duplicate(), h.deviceOffset());
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(twice.duplicate());
            SnapshotFormat.Header n = new SnapshotFormat.Header(h.pageSize(), h.ramBytes(), h.codec(), h.deviceOffset(),
                    twice.remaining(), 2, (int) crc.getValue(), Math.max(h.endOffset(), h.deviceOffset() + twice.remaining()),
                    h.blocks(), 0);
            ch.write(SnapshotFormat.encodeHeader(n), START); // checksums right: the duplicate check must catch it
        }
        assertRefused(Reason.MALFORMED, "device state 'dev' instance 1 appears twice");
    }

    @Test
    void theWriterRefusesADeviceAddedTwice() throws Exception {
        try (FileChannel ch = FileChannel.open(dir.resolve("other"), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE); SnapshotWriter w = SnapshotWriter.create(ch, 0, 1, Duration.ofSeconds(30))) {
            w.addDeviceState("nic0", 0, ByteBuffer.wrap(new byte[]{1}));
            w.addDeviceState("nic0", 1, ByteBuffer.wrap(new byte[]{2})); // another instance: fine
            assertThatThrownBy(() -> w.addDeviceState("nic0", 0, ByteBuffer.wrap(new byte[]{3})))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("device 'nic0' instance 0 was already added to this snapshot");
        }
    }

    @Test
    void unsupportedVersion() throws Exception {
        try (FileChannel ch = rw()) {
            ch.write(ByteBuffer.allocate(4).putInt(0, 9), START + 8);
        }
        assertRefused(Reason.UNSUPPORTED, "version 9");
    }

    @Test
    void notASnapshotAtAll() throws Exception {
        assertThatThrownBy(() -> SnapshotReader.open(file, 0).close())
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.NOT_A_SNAPSHOT));
    }

    @Test
    void saveThatDidNotFinishIsIncomplete() throws Exception {
        Path other = dir.resolve("unfinished");
        try (SnapshotWriter w = SnapshotWriter.create(other, 2)) {
            RamSaver.open(w.session(), a).saveAll();
        } // closed without finish(): no header
        assertThatThrownBy(() -> SnapshotReader.open(other).close())
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INCOMPLETE))
                .hasMessageContaining("did not complete");
    }

    private void flipByte(long at) throws IOException {
        try (FileChannel ch = rw()) {
            ByteBuffer one = ByteBuffer.allocate(1);
            SnapshotReader.readFully(ch, one, at);
            ch.write(ByteBuffer.wrap(new byte[]{(byte) (one.get(0) ^ 0x40)}), at);
        }
    }
}
