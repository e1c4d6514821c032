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
import io.multifd.ram.snapshot.SnapshotFormatException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reader on files in QEMU 10's mapped-ram layout, written by {@link QemuFileFixture}. */
class QemuMappedRamReadTest {

    @TempDir
    Path dir;

    @Test
    void readsEveryBlockOfAQemuFile() throws Exception {
        RamBlock ram = RamBlock.allocate("pc.ram", 5L << 20);
        RamBlock rom = RamBlock.allocate("/rom@etc/acpi/tables", 128 << 10);
        SnapshotFixtures.fillMixed(ram, 21);
        SnapshotFixtures.fillMixed(rom, 22);
        Path file = dir.resolve("vm.mr");
        new QemuFileFixture().write(file, 4096, List.of(ram, rom));
        try (SnapshotReader r = SnapshotReader.open(file, 4096)) {
            assertThat(r.format()).isEqualTo(SnapshotReader.Format.QEMU_MAPPED_RAM);
            assertThat(r.machineType()).contains("pc-q35-10.0");
            assertThat(r.blocks()).extracting(SnapshotBlock::name).containsExactly("pc.ram", "/rom@etc/acpi/tables");
            List<RamBlock> out = new ArrayList<>();
            SnapshotRestore.builder(r).blocks(List.of("pc.ram")).channels(3).build().run(RamDestination.allocating(out));
            assertThat(SnapshotFixtures.sha256(out.get(0))).isEqualTo(SnapshotFixtures.sha256(ram));
            out.clear();
            SnapshotRestore.builder(r).build().run(RamDestination.allocating(out));
            assertThat(SnapshotFixtures.sha256(out.get(1))).isEqualTo(SnapshotFixtures.sha256(rom));
            assertThat(r.deviceStates()).isEmpty();
        }
    }

    @Test
    void aHugeSparseBlockIsReadInPiecesAndRefusedBeyondTheBudget() throws Exception {
        // 8 GiB in 512-byte pages: a 2 MiB bitmap (read in 1 MiB pieces), a file of a few KB on disk
        Path file = dir.resolve("sparse.mr");
        long length = 8L << 30;
        new QemuFileFixture().writeEmpty(file, "pc.ram", length, 512);
        long page = length / 512 - 3; // in the bitmap's second piece
        long bitmapAt;
        try (SnapshotReader r = SnapshotReader.open(file)) {
            SnapshotBlock b = r.blocks().get(0);
            assertThat(b.length()).isEqualTo(length);
            assertThat(b.bitmapLength()).isEqualTo(2L << 20);
            assertThat(r.presentPages(b)).isZero();
            bitmapAt = b.bitmapOffset();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{(byte) (1 << (page % 8))}), bitmapAt + page / 8);
            try (SnapshotReader r = SnapshotReader.open(ch, 0)) {
                SnapshotBlock b = r.blocks().get(0);
                assertThat(r.presentPages(b)).isEqualTo(1);
                assertThat(r.isPresent(b, page)).isTrue();
                assertThat(r.isPresent(b, page - 1)).isFalse();
            }
            assertThatThrownBy(() -> SnapshotReader.open(ch, 0, (2L << 20) - 1))
                    .isInstanceOfSatisfying(SnapshotFormatException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                    .hasMessageContainingAll("block 'pc.ram'", "8589934592 bytes in 512-byte pages");
        }
    }

    @Test
    void saveThatDidNotCompleteIsRefused() throws Exception {
        RamBlock ram = RamBlock.allocate("pc.ram", 1L << 20);
        Path file = dir.resolve("partial.mr");
        QemuFileFixture f = new QemuFileFixture();
        f.completed = false;
        f.write(file, 0, List.of(ram));
        assertThatThrownBy(() -> SnapshotReader.open(file).close())
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INCOMPLETE));
    }

    @Test
    void streamWithoutMappedRamIsRefused() throws Exception {
        Path file = dir.resolve("plain.mr");
        QemuFileFixture f = new QemuFileFixture();
        f.mappedRamCapability = false;
        f.write(file, 0, List.of(RamBlock.allocate("pc.ram", 1L << 20)));
        assertThatThrownBy(() -> SnapshotReader.open(file).close())
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                .hasMessageContaining("mapped-ram");
    }

    /** Two blocks of one name: damage (QEMU's names are unique), not a choice left to the restore. */
    @Test
    void aBlockNamedTwiceIsRefused() throws Exception {
        Path file = dir.resolve("twice.mr");
        new QemuFileFixture().write(file, 0, List.of(RamBlock.allocate("pc.ram", 1L << 20),
                RamBlock.allocate("pc.ram", 1L << 20)));
        assertThatThrownBy(() -> SnapshotReader.open(file).close())
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
                .hasMessageContaining("block 'pc.ram' appears twice");
    }

    @Test
    void truncatedQemuFile() throws Exception {
        Path file = dir.resolve("cut.mr");
        new QemuFileFixture().write(file, 0, List.of(RamBlock.allocate("pc.ram", 3L << 20)));
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate((2L << 20) + 100); // inside pc.ram's page area
        }
        assertThatThrownBy(() -> SnapshotReader.open(file).close())
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED));
    }

    /** A count of 2^31 - 1 capabilities in a sparse file of zeros: refused at once, not read until memory runs out. */
    @Test
    void anAbsurdCapabilityCountIsRefusedBeforeAnythingIsRead() throws Exception {
        Path file = dir.resolve("caps.qemu");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
        b.putInt(0x5145564d).putInt(3).put((byte) 7).putInt(0).put((byte) 5);
        byte[] name = "configuration/capabilities".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        b.put((byte) name.length).put(name).putInt(1).putInt(Integer.MAX_VALUE).flip();
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(b);
            ch.write(java.nio.ByteBuffer.wrap(new byte[1]), (256L << 20) - 1); // the rest: a hole, zeros
        }
        assertThatThrownBy(() -> SnapshotReader.open(file).close())
                .isInstanceOfSatisfying(SnapshotFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
                .hasMessageContaining("announces 2147483647 capabilities");
    }
}
