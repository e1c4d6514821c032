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
 * The codecs of multifd-java as codecs: {@link io.multifd.compress.ZstdCodec}
 * ({@code zstd}, wire id 1), {@link io.multifd.compress.Lz4Codec} ({@code lz4}, wire id 2) and
 * {@link io.multifd.compress.ZlibCodec} ({@code zlib}, wire id 3).
 *
 * <p>Users do not call these classes: they put the module on the path and select a codec by
 * name, {@code MultiFdConfig.builder().codec("zstd", CodecOptions.level(3))}; the core's
 * registry finds the codecs with {@link java.util.ServiceLoader}. The classes are public so
 * that a product can also hand an instance to the registry directly, and for their constants
 * (ids, names, level ranges) and documentation.
 *
 * <h2>What every codec here guarantees</h2>
 * <ul>
 *   <li><b>One encoder and one decoder per channel</b>, made at setup and closed at teardown,
 *       each owning its native context and direct buffers sized from
 *       {@link io.multifd.api.spi.CodecContext#maxDataLength()}; steady state allocates nothing
 *       per packet.</li>
 *   <li><b>Independent packets</b>: each encoded packet is one self-contained unit (a zstd
 *       frame, an LZ4 block, a zlib stream). A packet whose encoding would not be shorter than
 *       its data travels raw; no stream state has to be restarted, so {@code streamReset} is
 *       never set by these encoders and needs no action in their decoders.</li>
 *   <li><b>Stable input</b>: the encoder copies the packet's data into its own buffer before
 *       compressing it, so data that another thread writes meanwhile cannot upset the codec;
 *       the input buffers' positions and limits are left as they were.</li>
 *   <li><b>Hostile input is bounded</b>: decoders write at most the packet's raw length (which
 *       the core caps), only inside the targets' ranges, allocate nothing from sizes found in
 *       codec headers, and refuse anything that does not decode to exactly the raw length with
 *       a {@link io.multifd.api.MalformedPacketException} on the field {@code data} whose
 *       reason starts with the codec's name.</li>
 *   <li><b>Native libraries</b> are probed when a codec is first selected; a failure is logged
 *       once and reported with its cause by
 *       {@link io.multifd.api.spi.Codec#checkAvailable()}, and affects only that
 *       codec.</li>
 * </ul>
 */
package io.multifd.compress;
