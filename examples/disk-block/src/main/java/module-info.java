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
 * An example of a user's own payload plug-in, in a jar of its own: the blocks of a virtual disk
 * ("disk blocks": a logical block address and a fixed block size) migrated on the same channels
 * as RAM. Core never hears of it: {@link java.util.ServiceLoader} finds
 * {@link io.multifd.examples.diskblock.DiskBlockPayload} through the {@code provides} below (module
 * path) and through {@code META-INF/services/io.multifd.api.spi.PayloadPlugin}, which
 * {@code @AutoService} writes (class path). Keep the two in sync.
 *
 * <p>Like every plug-in it depends on {@code io.multifd.api} only ({@code transitive}: its public
 * types name api types), and exports only the package users call: the encoder and the channel
 * receiver live in {@code io.multifd.examples.diskblock.internal}, which is not exported.
 */
module io.multifd.examples.diskblock {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;

    exports io.multifd.examples.diskblock;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.examples.diskblock.DiskBlockPayload;
}
