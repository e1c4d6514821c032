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

import io.multifd.devicestate.DeviceStateLoader;
import io.multifd.devicestate.DeviceStateLoaderFactory;
import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.PreCopy;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamSaver;
import io.multifd.ram.snapshot.SnapshotReader;
import io.multifd.ram.snapshot.SnapshotRestore;
import io.multifd.ram.snapshot.SnapshotStats;
import io.multifd.ram.snapshot.SnapshotWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * File mode, as a program embeds it: memory saved to a snapshot file by several threads at once
 * (suspend to disk, a checkpoint) and restored from it, with a device's state beside it. Each
 * method runs on the calling thread and returns once the file is complete or the memory restored.
 */
public final class SnapshotExample {

    private SnapshotExample() {
    }

    /**
     * Saves memory that does not change meanwhile, and one device's state, to a new snapshot.
     *
     * @param file        the snapshot file, created or replaced
     * @param memory      the memory; the caller keeps owning it (the library only reads it)
     * @param deviceState a device's state; copied
     * @return what the save did
     * @throws IOException if a write failed
     */
    public static SnapshotStats save(Path file, RamBlock memory, byte[] deviceState) throws IOException {
        try (SnapshotWriter snapshot = SnapshotWriter.create(file, 4)) {  // 4 threads writing at once
            RamSaver ram = RamSaver.open(snapshot.session(), List.of(memory)); // the socket path's saver
            snapshot.addDeviceState("nic0", 0, ByteBuffer.wrap(deviceState)); // any thread, beside RAM
            ram.saveAll();                                              // every non-zero page, in place
            return snapshot.finish();                                   // bitmaps, then the header
        }                                                               // close() without finish(): incomplete
    }

    /**
     * Saves memory while the program's writers keep changing it: pre-copy rounds rewrite the
     * dirtied pages in place, then the writers pause for the final round.
     *
     * @param file         the snapshot file, created or replaced
     * @param memory       the memory
     * @param dirty        the writers mark each page they write here, after the write
     * @param pauseWriters pauses the writers (called once, before the final round)
     * @return what the save did
     * @throws IOException if a write failed
     */
    public static SnapshotStats saveWhileRunning(Path file, RamBlock memory, DirtyBitmap dirty, Runnable pauseWriters)
            throws IOException {
        try (SnapshotWriter snapshot = SnapshotWriter.create(file, 2)) {
            RamSaver ram = RamSaver.open(snapshot.session(), List.of(memory));
            PreCopy.builder(ram, List.of(dirty))
                    .pause((converged, dirtyPages, estimatedDowntime) -> pauseWriters.run())
                    .build()
                    .run();                                             // round 1, 2, ... and the final one
            return snapshot.finish();
        }
    }

    /** What {@link #restore} gives back. */
    public record Restored(List<RamBlock> memory, SnapshotStats stats) {
    }

    /**
     * Restores every block of a snapshot (this library's, or a QEMU mapped-ram file) into fresh
     * memory, and hands each device state to a loader made by {@code devices}.
     *
     * @param file    the snapshot
     * @param devices makes one loader per device (as for a socket migration's receiver)
     * @return the blocks, in the snapshot's order, and the statistics
     * @throws IOException if the file is damaged (a {@code SnapshotFormatException} naming why) or unreadable
     */
    public static Restored restore(Path file, DeviceStateLoaderFactory devices) throws IOException {
        List<RamBlock> memory = Collections.synchronizedList(new ArrayList<>());
        try (SnapshotReader snapshot = SnapshotReader.open(file)) {     // every header and bitmap checked
            SnapshotStats stats = SnapshotRestore.builder(snapshot)
                    .channels(4)                                        // 4 threads reading at once
                    .deviceStates((name, instance, state) -> {          // after the RAM
                        DeviceStateLoader loader = devices.create(name, instance);
                        loader.load(state);
                        loader.complete();
                    })
                    .build()
                    .run(RamDestination.allocating(memory));            // or RamDestination.of(blocks...)
            return new Restored(List.copyOf(memory), stats);
        }
    }
}
