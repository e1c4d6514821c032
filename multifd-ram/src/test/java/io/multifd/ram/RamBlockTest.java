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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class RamBlockTest {

    private static final long GIB = 1L << 30;

    @Test
    void partialLastPageIsCarriedWithItsOwnLength() {
        RamBlock b = RamBlock.allocate("odd", 3 * 4096 + 100);
        assertThat(b.pageCount()).isEqualTo(4);
        assertThat(b.pageLength(0)).isEqualTo(4096);
        assertThat(b.pageLength(3 * 4096)).isEqualTo(100);
        assertThatThrownBy(() -> b.pageLength(4 * 4096)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> b.pageLength(100)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(b.isZeroPage(3 * 4096)).isTrue();
        b.put(3 * 4096 + 99, new byte[]{1}, 0, 1);
        assertThat(b.isZeroPage(3 * 4096)).isFalse();
        assertThatThrownBy(() -> b.put(3 * 4096 + 100, new byte[]{1}, 0, 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
        RamBlock tiny = RamBlock.allocate("tiny", 1, 2 << 20);
        assertThat(tiny.pageCount()).isEqualTo(1);
        assertThat(tiny.pageLength(0)).isEqualTo(1);
    }

    @Test
    void accessCrossesSegments() {
        long seg = RamBlock.MIN_SEGMENT_SIZE;
        RamBlock b = RamBlock.allocate("segs", 2 * seg + 4096, 4096, seg);
        assertThat(b.segmentCount()).isEqualTo(3);
        assertThat(b.segmentSize()).isEqualTo(seg);
        byte[] src = new byte[10_000];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) (i * 31 + 7);
        }
        b.put(seg - 5_000, src, 0, src.length);
        byte[] back = new byte[src.length];
        b.get(seg - 5_000, back, 0, back.length);
        assertThat(back).isEqualTo(src);
        b.putLong(2 * seg + 4088, 0x1122334455667788L);
        assertThat(b.getLong(2 * seg + 4088)).isEqualTo(0x1122334455667788L);
        assertThat(b.slice(seg, 4096).get(0)).isEqualTo(src[5_000]);
        assertThatThrownBy(() -> b.slice(seg - 10, 20)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void argumentsAreChecked() {
        assertThatThrownBy(() -> RamBlock.allocate("", 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RamBlock.allocate("x".repeat(256), 10)).hasMessageContaining("255");
        assertThatThrownBy(() -> RamBlock.allocate("é".repeat(128), 10)).hasMessageContaining("256");
        assertThatThrownBy(() -> RamBlock.allocate("a\0b", 10)).hasMessageContaining("NUL");
        assertThatThrownBy(() -> RamBlock.allocate("a", 0)).hasMessageContaining("length");
        assertThatThrownBy(() -> RamBlock.allocate("a", 10, 256)).hasMessageContaining("page size");
        assertThatThrownBy(() -> RamBlock.allocate("a", 10, 4 << 20)).hasMessageContaining("page size");
        assertThatThrownBy(() -> RamBlock.allocate("a", 10, 3000)).hasMessageContaining("page size");
        assertThatThrownBy(() -> RamBlock.allocate("a", 10, 4096, 1 << 20)).hasMessageContaining("segment size");
        assertThatThrownBy(() -> RamBlock.wrap("a", ByteBuffer.allocate(10), 4096)).hasMessageContaining("direct");
        assertThat(RamBlock.allocate("x".repeat(255), 10).name()).hasSize(255);
    }

    @Test
    void wrapUsesPositionToLimitAndKeepsTheBuffer() {
        ByteBuffer mem = ByteBuffer.allocateDirect(3 * 4096);
        mem.position(4096).limit(3 * 4096);
        RamBlock b = RamBlock.wrap("w", mem, 4096);
        assertThat(b.length()).isEqualTo(2 * 4096);
        assertThat(mem.position()).isEqualTo(4096);
        b.put(0, new byte[]{42}, 0, 1);
        assertThat(mem.get(4096)).isEqualTo((byte) 42);
        assertThat(RamBlock.wrap("r", mem.asReadOnlyBuffer(), 4096).isReadOnly()).isTrue();
    }

    /** A sparse mapped file over 3 GiB: only a few pages around 2 GiB and at the end are touched. */
    @Test
    void sparseMappedBlockBeyondTwoGiB(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("big.img");
        long length = 3 * GIB + 5_000; // not page-aligned: a partial last page of 5000 - 4096 = 904 bytes
        RamBlock b = RamBlock.map("big", file, length, 4096, true);
        assertThat(Files.size(file)).isEqualTo(length);
        assertThat(b.segmentCount()).isEqualTo(4);
        assertThat(b.pageCount()).isEqualTo(3 * GIB / 4096 + 2);
        long[] offs = {2 * GIB - 4096, 2 * GIB, 2 * GIB + 4096, length - 904};
        for (long off : offs) {
            b.putLong(off, off ^ 0x5A5A5A5A5A5A5A5AL);
            b.put(off + b.pageLength(off) - 1, new byte[]{(byte) 0xEE}, 0, 1);
        }
        assertThat(b.pageLength(length - 904)).isEqualTo(904);
        b.force();
        assertThat(allocatedBytes(file)).isLessThan(16L << 20);
        RamBlock ro = RamBlock.map("big", file, length, 4096, false);
        assertThat(ro.isReadOnly()).isTrue();
        for (long off : offs) {
            assertThat(ro.getLong(off)).isEqualTo(off ^ 0x5A5A5A5A5A5A5A5AL);
            assertThat(ro.get(off + ro.pageLength(off) - 1)).isEqualTo((byte) 0xEE);
        }
        assertThat(ro.isZeroPage(GIB)).isTrue();
        assertThat(allocatedBytes(file)).isLessThan(16L << 20);
        assertThatThrownBy(() -> RamBlock.map("big", file, length + 1, 4096, false))
                .isInstanceOf(IOException.class).hasMessageContaining("beyond the end");
    }

    @Test
    void mapRegionOfChannel(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("r.img");
        Files.write(file, new byte[3 * 4096]);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            RamBlock b = RamBlock.map("r", ch, 4096, 8192, 4096, FileChannel.MapMode.READ_WRITE);
            b.put(0, new byte[]{9}, 0, 1);
            assertThat(b.isMapped()).isTrue();
            assertThatThrownBy(() -> RamBlock.map("r", ch, 100, 4096, 4096, FileChannel.MapMode.READ_WRITE))
                    .hasMessageContaining("multiple of the page size");
        }
        assertThat(Files.readAllBytes(file)[4096]).isEqualTo((byte) 9);
    }

    /** Disk blocks actually allocated to a file, from {@code stat} (512-byte units). */
    static long allocatedBytes(Path file) throws IOException {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        try {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("stat failed: " + out);
            }
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        String[] f = out.split(" ");
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }

    @Test
    void aPrivateMappingIsWritableAndNeverChangesTheFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("image.bin");
        byte[] original = new byte[3 * 4096 + 100];
        for (int i = 0; i < original.length; i++) {
            original[i] = (byte) (i * 7);
        }
        Files.write(f, original);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            RamBlock b = RamBlock.map("image", ch, 0, original.length, 4096, FileChannel.MapMode.PRIVATE);
            assertThat(b.isReadOnly()).isFalse();
            assertThat(b.isMapped()).isTrue();
            b.putLong(4096, 0x1122334455667788L);
            assertThat(b.getLong(4096)).isEqualTo(0x1122334455667788L);
        }
        assertThat(Files.readAllBytes(f)).as("the file after writes through a PRIVATE mapping").isEqualTo(original);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> RamBlock.map("image", ch, 0, 4096, 4096, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("map mode");
        }
    }

    @Test
    void loadMapsAFilesPagesWithoutWritingAndIgnoresOtherMemory(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("image");
        long length = 2 * RamBlock.MIN_SEGMENT_SIZE + 4096 + 5; // several segments and a partial page
        RamBlock source = RamBlock.allocate("source", length);
        Images.fillMixed(source, 7);
        byte[] original = new byte[(int) length];
        source.get(0, original, 0, original.length);
        Files.write(f, original);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            RamBlock b = RamBlock.map("image", ch, 0, length, 4096, FileChannel.MapMode.PRIVATE);
            assertThat(b.load()).isSameAs(b);
            assertThat(Images.sha256(b)).as("the bytes after load()").isEqualTo(Images.sha256(source));
            b.putLong(0, -1L); // a write after load() is the mapping's own: copied, never in the file
            assertThat(b.getLong(0)).isEqualTo(-1L);
        }
        assertThat(Files.readAllBytes(f)).as("the file after load() and a write to its private mapping")
                .isEqualTo(original);
        RamBlock readOnly = RamBlock.map("ro", f, length, 4096, false);
        assertThat(readOnly.load()).isSameAs(readOnly);
        assertThat(readOnly.prefault()).as("read-only: prefault() is load()").isSameAs(readOnly);
        assertThat(Images.sha256(readOnly)).isEqualTo(Images.sha256(source));
        RamBlock direct = RamBlock.allocate("direct", 8192);
        direct.putLong(8, 42);
        assertThat(direct.load()).as("not a file mapping: nothing to do").isSameAs(direct);
        assertThat(direct.getLong(8)).isEqualTo(42);
    }

    @Test
    void aViewIsTheSameMemoryUnderAnotherNameAndPageSize(@TempDir Path dir) throws IOException {
        long length = 2 * RamBlock.MIN_SEGMENT_SIZE + 3 * 4096 + 17; // segments and a partial last page
        RamBlock file = RamBlock.map("preallocated", dir.resolve("mem.img"), length, 4096, true).prefault();
        RamBlock view = file.view("pc.ram", 2 << 20);
        assertThat(view.name()).isEqualTo("pc.ram");
        assertThat(view.pageSize()).isEqualTo(2 << 20);
        assertThat(view.pageCount()).isEqualTo(3);
        assertThat(view.length()).isEqualTo(length);
        assertThat(view.isMapped()).isTrue();
        assertThat(view.isReadOnly()).isFalse();
        Images.fillMixed(view, 3);
        assertThat(Images.sha256(file)).as("written through the view, read through the block").isEqualTo(Images.sha256(view));
        file.putLong(length - 8, 0x0102030405060708L);
        assertThat(view.getLong(length - 8)).isEqualTo(0x0102030405060708L);
        assertThatThrownBy(() -> file.view("", 4096)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("block name");
        assertThatThrownBy(() -> file.view("x", 3000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3000");
        assertThat(RamBlock.allocate("direct", 4096).view("v", 512).pageCount()).isEqualTo(8);
    }
}
