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
 * The "disk block" payload: how to write a payload plug-in, step by step.
 *
 * <ol>
 *   <li>{@link io.multifd.examples.diskblock.VirtualDisk}: the data the product owns (here a disk
 *       of fixed-size blocks in memory).</li>
 *   <li>{@link io.multifd.examples.diskblock.DiskBlockPayload}: the plug-in. A wire id (300; ids up
 *       to 255 are reserved for multifd-java's own), a name, a <em>body</em> (what one packet
 *       carries: a few block addresses), and the check of the setup record on the receiver.</li>
 *   <li>{@code io.multifd.examples.diskblock.internal}, not exported: the wire code. An
 *       <em>encoder</em> that turns a body into a payload header and data buffers on the sending
 *       channel thread, and a <em>channel receiver</em> that checks every packet header before
 *       placing the data into the destination disk.</li>
 *   <li>{@link io.multifd.examples.diskblock.DiskBlockSaver}: the client that owns a slot, fills it
 *       with block addresses and hands it to the session; it declares the setup record before the
 *       session connects.</li>
 * </ol>
 * Registration: {@code provides} in {@code module-info.java} and {@code @AutoService} (for the
 * class path). A sender finds the plug-in by discovery; a receiver registers a configured instance
 * that knows its destination ({@link io.multifd.examples.diskblock.DiskBlockPayload#receivingInto}).
 */
package io.multifd.examples.diskblock;
