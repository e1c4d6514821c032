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
 * The service provider interfaces: payload plug-ins, codecs and transports.
 *
 * <h2>Vocabulary: "codec"</h2>
 * multifd-java uses one word, <em>codec</em>, for what the C design this library grows from calls
 * the <em>send-prepare hook</em> ({@code MultiFDMethods.send_prepare}/{@code recv} in QEMU's
 * multifd, the "multifd-compression" parameter): a per-session transformation that every channel
 * applies to each packet's data after the payload plug-in prepared it, and reverses on the
 * receiving channel before the payload plug-in sees it. {@link io.multifd.api.spi.Codec} is that
 * SPI, {@link io.multifd.api.spi.CodecEncoder} and {@link io.multifd.api.spi.CodecDecoder} its
 * per-channel halves, {@link io.multifd.api.CodecOptions} its parameters, and
 * {@code MultiFdConfig.codec(...)}, {@code MigrationStats.codec()} and the command line's
 * {@code --codec} select and report it. The identity codec {@code none} ships in the core; zstd,
 * lz4 and zlib ship in {@code multifd-compress}.
 *
 * <h2>Deploying a provider</h2>
 * A provider is a public class with a public no-argument constructor, declared in both ways, so
 * that it is found on the class path and on the module path:
 * <ul>
 *   <li>in its module's {@code module-info.java}:
 *       {@code provides io.multifd.api.spi.PayloadPlugin with com.example.DiskBlockPayload;}</li>
 *   <li>in {@code META-INF/services/io.multifd.api.spi.PayloadPlugin}, one class name per line
 *       (the {@code @AutoService(PayloadPlugin.class)} annotation writes this file).</li>
 * </ul>
 * The registry in {@code io.multifd.core} loads them with {@link java.util.ServiceLoader}, refuses
 * two providers with the same wire id or name (naming both classes), and also accepts instances
 * handed to it directly, which is how a product passes a configured plug-in (for example a RAM
 * payload that knows its destination blocks).
 *
 * <h2>Buffer conventions</h2>
 * One rule for every {@link java.nio.ByteBuffer} in these interfaces: the bytes are those between
 * {@code position} and {@code limit}. Each method says who owns a buffer before, during and after
 * the call, and what happens to its position. A buffer handed to the core stays owned by the
 * plug-in that made it; the core only reads or fills the stated range during the stated time.
 *
 * <h2>Threads</h2>
 * Each interface says which thread calls each method. In short: plug-in and codec providers are
 * shared and must be thread-safe; encoders, decoders and channel receivers are confined to one
 * channel thread; session-level receivers are called from several channel threads at once.
 */
package io.multifd.api.spi;
