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
 * File mode: RAM blocks saved to a snapshot file in which every page has a fixed place, written
 * and read by several threads at once with positional I/O.
 *
 * <ul>
 *   <li>{@link io.multifd.ram.snapshot.SnapshotWriter} saves: its
 *       {@linkplain io.multifd.ram.snapshot.SnapshotWriter#session() session} takes the pages of an
 *       ordinary {@link io.multifd.ram.RamSaver} (one round, or live pre-copy rounds) and writes
 *       each non-zero page at its place; device states go into an area of their own.</li>
 *   <li>{@link io.multifd.ram.snapshot.SnapshotReader} opens and checks a snapshot, or a file QEMU
 *       saved with {@code migrate file:} and the {@code mapped-ram} capability.</li>
 *   <li>{@link io.multifd.ram.snapshot.SnapshotRestore} reads the blocks into destination blocks
 *       ({@link io.multifd.ram.RamDestination}) in parallel, then hands the device states on.</li>
 * </ul>
 *
 * <p>The layout ({@link io.multifd.ram.snapshot.SnapshotFormat}) keeps each block as QEMU 10's
 * mapped-ram files do; a damaged file is refused with a
 * {@link io.multifd.ram.snapshot.SnapshotFormatException} naming its reason.
 */
package io.multifd.ram.snapshot;
