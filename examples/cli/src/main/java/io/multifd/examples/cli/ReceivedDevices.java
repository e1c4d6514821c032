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
package io.multifd.examples.cli;

import io.multifd.devicestate.DeviceStateLoader;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/** The device states {@code recv} receives alongside the RAM: hashed, never stored. */
final class ReceivedDevices {

    private ReceivedDevices() {
    }

    /**
     * The device states received: one hashing loader per device, made by the payload's factory
     * when a device's first buffer arrives. Loaders run on their load threads; {@link #fill} on
     * the main thread after the receiver completed (every loader finished).
     */
    static final class Devices {
        private final Map<String, HashingLoader> loaders = new TreeMap<>();

        synchronized DeviceStateLoader loader(String id, int instance) {
            HashingLoader l = new HashingLoader();
            loaders.put(id + "/" + Integer.toUnsignedString(instance), l);
            return l;
        }

        /**
         * Adds {@code devices}, {@code device_state_bytes} and {@code device_state_sha256}: the
         * hash of the device's state if there was one device; for several, the hash of the lines
         * {@code id/instance sha256\n} in sorted order.
         */
        synchronized void fill(Json json) {
            if (loaders.isEmpty()) {
                return;
            }
            long bytes = 0;
            MessageDigest all = Hashing.sha256();
            String single = null;
            for (Map.Entry<String, HashingLoader> e : loaders.entrySet()) {
                bytes += e.getValue().bytes;
                single = e.getValue().sha256;
                all.update((e.getKey() + " " + single + "\n").getBytes(StandardCharsets.UTF_8));
            }
            json.put("devices", loaders.size()).put("device_state_bytes", bytes)
                    .put("device_state_sha256", loaders.size() == 1 ? single : HexFormat.of().formatHex(all.digest()));
        }
    }

    /** Hashes one device's state as it is loaded, in order. Confined to its load thread. */
    static final class HashingLoader implements DeviceStateLoader {
        private final MessageDigest md = Hashing.sha256();
        private volatile long bytes;
        private volatile String sha256;

        @Override
        public void load(ByteBuffer buffer) {
            bytes += buffer.remaining();
            md.update(buffer);
        }

        @Override
        public void complete() {
            sha256 = HexFormat.of().formatHex(md.digest());
        }
    }
}
