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

import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamSaver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotRoundTripTest {

    private static final long SEED = 0x5eed_5a7eL;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "save with {0}, restore with {1} channels")
    @CsvSource({"1,1", "2,2", "4,4", "1,4", "4,1"})
    void mixedImageRoundTripsByteExact(int saveChannels, int restoreChannels) throws Exception {
        RamBlock ram = RamBlock.allocate("pc.ram", (24L << 20) + 4096 * 3 + 100); // partial last page
        RamBlock rom = RamBlock.allocate("rom", 1 << 20, 16384);
        long nonZero = SnapshotFixtures.fillMixed(ram, SEED);
        SnapshotFixtures.fillMixed(rom, SEED + 1);
        Path file = dir.resolve("snap");
        SnapshotStats saved;
        try (SnapshotWriter w = SnapshotWriter.create(file, saveChannels)) {
            RamSaver saver = RamSaver.open(w.session(), ram, rom);
            saver.saveAll();
            saved = w.finish();
        }
        assertThat(saved.ramBytes()).isEqualTo(ram.length() + rom.length());
        assertThat(Files.size(file)).isEqualTo(saved.endOffset());

        try (SnapshotReader r = SnapshotReader.open(file)) {
            assertThat(r.format()).isEqualTo(SnapshotReader.Format.MULTIFD);
            assertThat(r.blocks()).extracting(SnapshotBlock::name).containsExactly("pc.ram", "rom");
            SnapshotBlock b = r.block("pc.ram").orElseThrow();
            assertThat(b.pagesOffset() % SnapshotFormat.PAGE_AREA_ALIGNMENT).isZero();
            assertThat(b.bitmapOffset()).isEqualTo(b.recordOffset() + SnapshotFormat.recordLength("pc.ram"));
            assertThat(r.presentPages(b)).as("zero pages are not in the bitmap").isEqualTo(nonZero);
            List<RamBlock> out = new ArrayList<>();
            SnapshotStats restored = SnapshotRestore.builder(r).channels(restoreChannels).build()
                    .run(RamDestination.allocating(out));
            assertThat(out).hasSize(2);
            assertThat(SnapshotFixtures.sha256(out.get(0))).isEqualTo(SnapshotFixtures.sha256(ram));
            assertThat(SnapshotFixtures.sha256(out.get(1))).isEqualTo(SnapshotFixtures.sha256(rom));
            assertThat(restored.pages() + restored.zeroPages()).isEqualTo(ram.pageCount() + rom.pageCount());
            assertThat(restored.pages()).isEqualTo(saved.pages());
        }
    }

    @Test
    void restoreIntoOldContentsZeroesTheZeroPages() throws Exception {
        RamBlock ram = RamBlock.allocate("ram", 4L << 20);
        SnapshotFixtures.fillMixed(ram, SEED);
        Path file = dir.resolve("snap");
        try (SnapshotWriter w = SnapshotWriter.create(file, 2)) {
            RamSaver.open(w.session(), ram).saveAll();
            w.finish();
        }
        RamBlock dirty = RamBlock.allocate("ram", 4L << 20);
        for (long off = 0; off < dirty.length(); off += 512) {
            dirty.putLong(off, -1L); // old contents everywhere: zero pages must be cleared
        }
        try (SnapshotReader r = SnapshotReader.open(file)) {
            SnapshotRestore.builder(r).channels(3).build().run(RamDestination.of(dirty));
        }
        assertThat(SnapshotFixtures.sha256(dirty)).isEqualTo(SnapshotFixtures.sha256(ram));
    }

    @Test
    void liveRoundsEndByteExactWithTheFinalMemory() throws Exception {
        RamBlock ram = RamBlock.allocate("ram", 16L << 20);
        SnapshotFixtures.fillMixed(ram, SEED);
        DirtyBitmap dirty = new DirtyBitmap(ram);
        AtomicBoolean stop = new AtomicBoolean();
        long writerSeed = SEED * 31;
        Thread writer = new Thread(() -> {
            SplittableRandom rnd = new SplittableRandom(writerSeed);
            byte[] page = new byte[ram.pageSize()];
            while (!stop.get()) {
                long p = rnd.nextLong(ram.pageCount());
                int kind = rnd.nextInt(3);
                if (kind == 0) {
                    java.util.Arrays.fill(page, (byte) 0); // data becomes zero: its bit must be cleared
                } else {
                    rnd.nextBytes(page);
                }
                ram.put(p * ram.pageSize(), page, 0, page.length);
                dirty.markPage(p);
            }
        }, "live-writer");
        Path file = dir.resolve("live");
        try (SnapshotWriter w = SnapshotWriter.create(file, 4)) {
            RamSaver saver = RamSaver.open(w.session(), ram);
            writer.start();
            saver.saveAll(List.of(dirty));
            for (int i = 0; i < 3; i++) {
                saver.saveDirty(dirty);
            }
            stop.set(true);
            writer.join(Duration.ofSeconds(30).toMillis());
            assertThat(writer.isAlive()).isFalse();
            // the same page turned zero after it was written: explicit, so the case is always covered
            long p0 = 7;
            ram.put(p0 * ram.pageSize(), new byte[ram.pageSize()], 0, ram.pageSize());
            dirty.markPage(p0);
            saver.saveFinal(List.of(dirty));
            w.finish();
        }
        try (SnapshotReader r = SnapshotReader.open(file)) {
            assertThat(r.isPresent(r.blocks().get(0), 7)).isFalse();
            List<RamBlock> out = new ArrayList<>();
            SnapshotRestore.builder(r).channels(2).build().run(RamDestination.allocating(out));
            assertThat(SnapshotFixtures.sha256(out.get(0))).as("seed %d", SEED).isEqualTo(SnapshotFixtures.sha256(ram));
        }
    }

    @Test
    void snapshotInsideALargerFileLeavesThePrefixAlone() throws Exception {
        Path file = dir.resolve("container");
        byte[] prefix = new byte[(1 << 20) + 123];
        new SplittableRandom(SEED).nextBytes(prefix);
        Files.write(file, prefix);
        String prefixHash = SnapshotFixtures.sha256(file, 0, prefix.length);
        RamBlock ram = RamBlock.allocate("ram", 3L << 20);
        SnapshotFixtures.fillMixed(ram, SEED);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
             SnapshotWriter w = SnapshotWriter.create(ch, prefix.length, 2, Duration.ofSeconds(30))) {
            RamSaver.open(w.session(), ram).saveAll();
            w.addDeviceState("cpu0", 0, ByteBuffer.wrap("registers".getBytes(StandardCharsets.US_ASCII)));
            w.addDeviceState("uart", 3, ByteBuffer.allocate(0));
            w.finish();
        }
        assertThat(SnapshotFixtures.sha256(file, 0, prefix.length)).isEqualTo(prefixHash);
        try (SnapshotReader r = SnapshotReader.open(file, prefix.length)) {
            assertThat(r.startOffset()).isEqualTo(prefix.length);
            List<RamBlock> out = new ArrayList<>();
            SnapshotRestore.builder(r).build().run(RamDestination.allocating(out));
            assertThat(SnapshotFixtures.sha256(out.get(0))).isEqualTo(SnapshotFixtures.sha256(ram));
            List<SnapshotReader.DeviceState> states = r.deviceStates();
            assertThat(states).extracting(SnapshotReader.DeviceState::name).containsExactly("cpu0", "uart");
            assertThat(StandardCharsets.US_ASCII.decode(states.get(0).data()).toString()).isEqualTo("registers");
            assertThat(states.get(1).data().remaining()).isZero();
        }
        assertThat(SnapshotFixtures.sha256(file, 0, prefix.length)).isEqualTo(prefixHash);
    }

    @Test
    void restoresOneNamedBlock() throws Exception {
        RamBlock a = RamBlock.allocate("a", 2L << 20);
        RamBlock b = RamBlock.allocate("b", 1L << 20);
        SnapshotFixtures.fillMixed(a, 1);
        SnapshotFixtures.fillMixed(b, 2);
        Path file = dir.resolve("two");
        try (SnapshotWriter w = SnapshotWriter.create(file, 1)) {
            RamSaver.open(w.session(), a, b).saveAll();
            w.finish();
        }
        try (SnapshotReader r = SnapshotReader.open(file)) {
            List<RamBlock> out = new ArrayList<>();
            SnapshotRestore restore = SnapshotRestore.builder(r).blocks(List.of("b")).channels(2).build();
            restore.run(RamDestination.allocating(out));
            assertThat(out).extracting(RamBlock::name).containsExactly("b");
            assertThat(SnapshotFixtures.sha256(out.get(0))).isEqualTo(SnapshotFixtures.sha256(b));
            assertThat(restore.restoredBytes()).isEqualTo(b.length());
        }
    }

    @Test
    void deviceStatesSavedWhileRamRoundsRunReachTheirHandlers() throws Exception {
        RamBlock ram = RamBlock.allocate("ram", 8L << 20);
        SnapshotFixtures.fillMixed(ram, SEED);
        java.util.Map<String, String> saved = new java.util.concurrent.ConcurrentHashMap<>();
        Path file = dir.resolve("devices");
        try (SnapshotWriter w = SnapshotWriter.create(file, 3)) {
            RamSaver saver = RamSaver.open(w.session(), ram);
            Thread devices = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(SEED);
                for (int i = 0; i < 6; i++) {
                    byte[] state = new byte[rnd.nextInt(300_000)];
                    rnd.nextBytes(state);
                    saved.put("dev" + i + "/" + i * 10, io.multifd.testing.Hashes.sha256(state));
                    w.addDeviceState("dev" + i, i * 10, ByteBuffer.wrap(state));
                }
            }, "device-saver");
            devices.start(); // while the RAM round runs
            saver.saveAll();
            devices.join();
            w.finish();
        }
        java.util.Map<String, String> loaded = new java.util.concurrent.ConcurrentHashMap<>();
        try (SnapshotReader r = SnapshotReader.open(file)) {
            List<RamBlock> out = new ArrayList<>();
            SnapshotRestore.builder(r).channels(2)
                    .deviceStates((name, instance, state) -> loaded.put(name + "/" + instance,
                            io.multifd.testing.Hashes.sha256(state)))
                    .build().run(RamDestination.allocating(out));
            assertThat(SnapshotFixtures.sha256(out.get(0))).isEqualTo(SnapshotFixtures.sha256(ram));
        }
        assertThat(loaded).hasSize(6).isEqualTo(saved);
    }

    @Test
    void aFailingDeviceHandlerFailsTheRestoreNamingTheDevice() throws Exception {
        RamBlock ram = RamBlock.allocate("ram", 1L << 20);
        Path file = dir.resolve("device-fails");
        try (SnapshotWriter w = SnapshotWriter.create(file, 1)) {
            RamSaver.open(w.session(), ram).saveAll();
            w.addDeviceState("nic", 2, ByteBuffer.wrap(new byte[]{9}));
            w.finish();
        }
        try (SnapshotReader r = SnapshotReader.open(file)) {
            SnapshotRestore restore = SnapshotRestore.builder(r).deviceStates((name, instance, state) -> {
                throw new IllegalStateException("unknown register layout");
            }).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> restore.run(RamDestination.allocating(new ArrayList<>())))
                    .hasMessageContaining("device 'nic' instance 2").hasMessageContaining("unknown register layout");
        }
    }

    @ParameterizedTest(name = "into a file with {0} channels")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3})
    void restoresOneBlockIntoAFileWithPositionalWrites(int channels) throws Exception {
        RamBlock ram = RamBlock.allocate("pc.ram", (40L << 20) + 100); // more than one chunk, a partial page
        SnapshotFixtures.fillMixed(ram, SEED + channels);
        for (long off = ram.length() - 4000; off < ram.length(); off++) {
            ram.put(off, new byte[1], 0, 1); // the partial last page is zero: the file must still reach the end
        }
        Path file = dir.resolve("snap");
        try (SnapshotWriter w = SnapshotWriter.create(file, 2)) {
            RamSaver.open(w.session(), ram).saveAll();
            w.finish();
        }
        Path out = dir.resolve("out");
        Files.write(out, "head".getBytes(StandardCharsets.US_ASCII));
        try (SnapshotReader r = SnapshotReader.open(file);
             FileChannel ch = FileChannel.open(out, StandardOpenOption.WRITE)) {
            SnapshotRestore restore = SnapshotRestore.builder(r).channels(channels).build();
            SnapshotStats stats = restore.runToFile(ch, 4);
            assertThat(restore.restoredBytes()).isEqualTo(ram.length());
            assertThat(stats.pages()).isEqualTo(r.presentPages(r.blocks().get(0)));
        }
        assertThat(Files.size(out)).isEqualTo(4 + ram.length());
        assertThat(SnapshotFixtures.sha256(out, 4, ram.length())).isEqualTo(SnapshotFixtures.sha256(ram));
        assertThat(new String(Files.readAllBytes(out), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("head");
    }
}
