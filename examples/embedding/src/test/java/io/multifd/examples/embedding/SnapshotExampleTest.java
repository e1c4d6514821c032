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
package io.multifd.examples.embedding;

import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.RamBlock;
import io.multifd.testing.Hashes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** The file-mode example the README quotes compiles, runs, and restores the bytes exactly. */
@Timeout(60)
class SnapshotExampleTest {

    @TempDir
    Path dir;

    @Test
    void saveAndRestoreMemoryAndDeviceState() throws Exception {
        RamBlock memory = RamBlock.allocate("pc.ram", 6L << 20);
        SplittableRandom rnd = new SplittableRandom(5);
        for (long off = 0; off < memory.length(); off += 4096 * 3) { // two zero pages in three
            memory.putLong(off + rnd.nextInt(512) * 8L, rnd.nextLong() | 1);
        }
        byte[] device = new byte[100_000];
        rnd.nextBytes(device);
        Path file = dir.resolve("vm.snap");
        SnapshotExample.save(file, memory, device);

        Map<String, ByteArrayOutputStream> loaded = new ConcurrentHashMap<>();
        SnapshotExample.Restored r = SnapshotExample.restore(file, (id, instance) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            loaded.put(id + "/" + instance, out);
            return buffer -> {
                byte[] b = new byte[buffer.remaining()];
                buffer.get(b);
                out.write(b, 0, b.length);
            };
        });
        assertThat(r.memory()).hasSize(1);
        assertThat(Hashes.sha256(memory.length(), r.memory().get(0)::get))
                .isEqualTo(Hashes.sha256(memory.length(), memory::get));
        assertThat(r.stats().zeroPages()).isEqualTo(memory.pageCount() - memory.pageCount() / 3);
        assertThat(loaded.keySet()).containsExactly("nic0/0");
        assertThat(loaded.get("nic0/0").toByteArray()).isEqualTo(device);
    }

    @Test
    void saveWhileRunningRestoresTheFinalMemory() throws Exception {
        RamBlock memory = RamBlock.allocate("pc.ram", 8L << 20);
        DirtyBitmap dirty = new DirtyBitmap(memory);
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            SplittableRandom rnd = new SplittableRandom(9);
            while (!stop.get()) {
                long off = rnd.nextLong(memory.pageCount()) * memory.pageSize();
                memory.putLong(off, rnd.nextLong());
                dirty.mark(off);
            }
        });
        writer.start();
        Path file = dir.resolve("live.snap");
        SnapshotExample.saveWhileRunning(file, memory, dirty, () -> {
            stop.set(true);
            try {
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(writer.isAlive()).isFalse();
        SnapshotExample.Restored r = SnapshotExample.restore(file, (id, instance) -> null);
        assertThat(Hashes.sha256(memory.length(), r.memory().get(0)::get))
                .isEqualTo(Hashes.sha256(memory.length(), memory::get));
    }
}
