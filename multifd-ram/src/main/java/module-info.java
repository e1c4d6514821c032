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
/**
 * The RAM pages payload: {@link io.multifd.ram.RamBlock}s, zero-page detection, the
 * {@link io.multifd.ram.RamSaver} client with its own slot, {@link io.multifd.ram.DirtyBitmap}s
 * and the {@link io.multifd.ram.PreCopy} driver, and the {@link io.multifd.ram.RamPayload}
 * plug-in (wire id 1, name {@code ram}).
 *
 * <p>{@code io.multifd.ram.snapshot} is file mode: {@link io.multifd.ram.snapshot.SnapshotWriter}
 * saves blocks to a snapshot file from the same {@code RamSaver} rounds,
 * {@link io.multifd.ram.snapshot.SnapshotReader} and {@link io.multifd.ram.snapshot.SnapshotRestore}
 * read it (or a QEMU mapped-ram file) back in parallel.
 *
 * <p>Only {@code io.multifd.ram} and {@code io.multifd.ram.snapshot} are exported: the plug-in and what users call. The encoder, the
 * receivers and the other wire code live in {@code io.multifd.ram.internal}, which is not.
 */
module io.multifd.ram {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;
    requires jdk.jfr;

    exports io.multifd.ram;
    exports io.multifd.ram.snapshot;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.ram.RamPayload;
}
