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

import io.multifd.api.MigrationListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RamDestination#writeTarget}: pages written to a file with positional writes instead of
 * into the blocks' memory arrive byte-exact at their positions, zero pages stay holes in a new
 * file, a page zeroed in a later round is written as zeros, and a destination that does not start
 * zeroed gets every zero page written.
 */
@Timeout(120)
class RamWriteTargetTest {

    @TempDir
    Path dir;

    /** Blocks mapped from one file, one after the other at page-aligned positions; pages go through {@code file}. */
    private static final class FileDestination implements RamDestination {
        final FileChannel file;
        final boolean zeroed;
        final Map<RamBlock, Long> positions = Collections.synchronizedMap(new IdentityHashMap<>());
        final List<RamBlock> made = Collections.synchronizedList(new ArrayList<>());
        long next;

        FileDestination(FileChannel file, boolean zeroed) {
            this.file = file;
            this.zeroed = zeroed;
        }

        @Override
        public List<RamBlock> open(RamSetupRecord announced) {
            List<RamBlock> out = new ArrayList<>();
            try {
                for (RamBlockInfo info : announced.blocks()) {
                    long pos = (next + info.pageSize() - 1) / info.pageSize() * info.pageSize();
                    if (file.size() < pos + info.length()) {
                        file.write(ByteBuffer.allocate(1), pos + info.length() - 1);
                    }
                    RamBlock b = RamBlock.map(info.name(), file, pos, info.length(), info.pageSize(),
                            FileChannel.MapMode.READ_WRITE);
                    positions.put(b, pos);
                    made.add(b);
                    out.add(b);
                    next = pos + info.length();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return out;
        }

        @Override
        public boolean blocksStartZeroed() {
            return zeroed;
        }

        @Override
        public WriteTarget writeTarget(RamBlock block) {
            return new WriteTarget(file, positions.get(block));
        }
    }

    private FileChannel newFile(String name) throws IOException {
        return FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
    }

    /** The file's bytes at {@code position}, as long as the block, must equal the block. */
    private static void assertFileHolds(FileChannel file, long position, RamBlock src) throws IOException {
        byte[] want = new byte[(int) src.length()];
        src.get(0, want, 0, want.length);
        ByteBuffer got = ByteBuffer.allocate(want.length);
        while (got.hasRemaining()) {
            if (file.read(got, position + got.position()) < 0) {
                break;
            }
        }
        assertThat(got.position()).as("bytes in the file for '%s'", src.name()).isEqualTo(want.length);
        assertThat(got.array()).as("block '%s' at file position %d", src.name(), position).isEqualTo(want);
    }

    @ParameterizedTest(name = "{0} channels")
    @ValueSource(ints = {1, 3})
    void blocksArriveAtTheirPositionsAndZeroPagesStayHoles(int channels) throws Exception {
        RamBlock a = RamBlock.allocate("pc.ram", (16L << 20) + 1_000);
        RamBlock b = RamBlock.allocate("vga", (2L << 20) + 512 * 5 + 3, 512);
        Images.fillMixed(a, 11 + channels);
        Images.fillMixed(b, 12 + channels);
        // a long run of zero pages in the middle of a: never written, so it stays a hole
        a.put(4L << 20, new byte[8 << 20], 0, 8 << 20);
        try (FileChannel file = newFile("dst.img")) {
            FileDestination dst = new FileDestination(file, true);
            Migrations.migrate(Migrations.Kind.TCP, 21, channels, List.of(a, b), RamPayload.receiving(dst),
                    MigrationListener.NONE, RamSaver::saveAll);
            assertFileHolds(file, dst.positions.get(dst.made.get(0)), a);
            assertFileHolds(file, dst.positions.get(dst.made.get(1)), b);
            assertThat(dst.positions.get(dst.made.get(1)) % 512).isZero();
            // the mapping is a view of the same pages
            assertThat(Images.sha256(dst.made.get(0))).isEqualTo(Images.sha256(a));
            assertThat(RamBlockTest.allocatedBytes(dir.resolve("dst.img")))
                    .as("the 8 MiB of zero pages were never written").isLessThan(file.size() - (6L << 20));
        }
    }

    @Test
    void aPageZeroedInALaterRoundIsWrittenAsZeros() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 4L << 20);
        Images.fillMixed(src, 5);
        List<Long> cleared = new ArrayList<>();
        for (long off = 0; off < src.length() && cleared.size() < 20; off += 4096) {
            if (!src.isZeroPage(off)) {
                cleared.add(off);
            }
        }
        try (FileChannel file = newFile("dst.img")) {
            FileDestination dst = new FileDestination(file, true);
            Migrations.migrate(Migrations.Kind.MEMORY, 6, 2, List.of(src), RamPayload.receiving(dst),
                    MigrationListener.NONE, saver -> {
                        saver.saveAll();
                        for (long off : cleared) {
                            src.put(off, new byte[4096], 0, 4096); // now a zero page, sent again
                            saver.queuePage(src, off);
                        }
                        saver.sync();
                    });
            assertFileHolds(file, 0, src);
        }
    }

    @Test
    void aDestinationNotStartingZeroedGetsEveryZeroPageWritten() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", (4L << 20) + 100);
        Images.fillMixed(src, 9);
        try (FileChannel file = newFile("dst.img")) {
            byte[] junk = new byte[(int) src.length()];
            java.util.Arrays.fill(junk, (byte) 0x5A);
            file.write(ByteBuffer.wrap(junk), 0); // old contents where zero pages arrive
            FileDestination dst = new FileDestination(file, false);
            Migrations.migrate(Migrations.Kind.MEMORY, 10, 2, List.of(src), RamPayload.receiving(dst),
                    MigrationListener.NONE, RamSaver::saveAll);
            assertFileHolds(file, 0, src);
        }
    }
}
