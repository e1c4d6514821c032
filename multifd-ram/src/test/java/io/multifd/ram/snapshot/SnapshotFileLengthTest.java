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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The writer gives the file the length of its page areas when the blocks are declared (a hole),
 * so that page writes never extend it: the length is right before any page is written, after a
 * save whose last page is zero, and after device states that follow the page areas.
 */
class SnapshotFileLengthTest {

    @TempDir
    Path dir;

    @Test
    void theFileHasThePageAreasLengthOnceTheBlocksAreDeclared() throws Exception {
        RamBlock a = RamBlock.allocate("a", (2L << 20) + 4096);
        RamBlock b = RamBlock.allocate("b", (1L << 20) + 100); // partial last page, left zero
        a.putLong(4096, 0x0102030405060708L); // page 1 only: the last pages of both blocks are zero
        b.putLong(0, -1L);
        Path file = dir.resolve("snap");
        long declared;
        SnapshotStats stats;
        try (SnapshotWriter w = SnapshotWriter.create(file, 2)) {
            RamSaver saver = RamSaver.open(w.session(), a, b);
            declared = Files.size(file);
            saver.saveAll();
            stats = w.finish();
        }
        try (SnapshotReader r = SnapshotReader.open(file)) {
            long pagesEnd = r.block("b").orElseThrow().pagesEnd();
            assertThat(declared).as("length right after the blocks were declared").isEqualTo(pagesEnd);
            assertThat(stats.endOffset()).isEqualTo(pagesEnd);
            assertThat(Files.size(file)).isEqualTo(pagesEnd);
            assertThat(r.presentPages(r.block("a").orElseThrow())).isEqualTo(1);
            assertThat(r.presentPages(r.block("b").orElseThrow())).isEqualTo(1);
            List<RamBlock> out = new ArrayList<>();
            SnapshotRestore.builder(r).channels(2).build().run(RamDestination.allocating(out));
            assertThat(SnapshotFixtures.sha256(out.get(0))).isEqualTo(SnapshotFixtures.sha256(a));
            assertThat(SnapshotFixtures.sha256(out.get(1))).isEqualTo(SnapshotFixtures.sha256(b));
        }
    }

    @Test
    void deviceStatesAfterTheLastPageAreaExtendTheFile() throws Exception {
        RamBlock ram = RamBlock.allocate("ram", 1L << 20);
        SnapshotFixtures.fillMixed(ram, 77);
        ram.put(ram.length() - 4096, new byte[4096], 0, 4096); // the last page is zero: never written
        Path file = dir.resolve("snap");
        SnapshotStats stats;
        try (SnapshotWriter w = SnapshotWriter.create(file, 3)) {
            RamSaver.open(w.session(), ram).saveAll();
            w.addDeviceState("cpu0", 0, ByteBuffer.wrap("registers".getBytes(StandardCharsets.US_ASCII)));
            stats = w.finish();
        }
        try (SnapshotReader r = SnapshotReader.open(file)) {
            SnapshotBlock b = r.block("ram").orElseThrow();
            assertThat(stats.endOffset()).isGreaterThan(b.pagesEnd());
            assertThat(Files.size(file)).isEqualTo(stats.endOffset());
            assertThat(r.isPresent(b, b.pageCount() - 1)).isFalse();
            List<RamBlock> out = new ArrayList<>();
            SnapshotRestore.builder(r).build().run(RamDestination.allocating(out));
            assertThat(SnapshotFixtures.sha256(out.get(0))).as("seed 77").isEqualTo(SnapshotFixtures.sha256(ram));
            assertThat(StandardCharsets.US_ASCII.decode(r.deviceStates().get(0).data()).toString()).isEqualTo("registers");
        }
    }
}
