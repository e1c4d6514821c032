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
package io.multifd.devicestate.internal;

import io.multifd.devicestate.DeviceStateLoader;
import io.multifd.devicestate.DeviceStateLoaderFactory;

import java.util.Map;

/**
 * The receiving side's settings, as the public builder collected them. Immutable.
 *
 * @param loaders              registered loaders by device (an unmodifiable copy)
 * @param factory              the factory for devices not registered, or {@code null}
 * @param maxOutOfOrderBytes   per device: bytes (plus a fixed overhead per buffer) that may wait
 *                             for an earlier buffer before the migration fails
 * @param maxBacklogBytes      per device: in-order bytes that may wait for the loader before
 *                             channels carrying that device wait too
 * @param maxBuffers           per device: largest buffer count (indexes are below it)
 * @param maxDevices           per session: largest number of devices
 * @param requireRegistered    whether a registered loader that received nothing fails the finish
 */
public record ReceiverOptions(Map<DeviceKey, DeviceStateLoader> loaders, DeviceStateLoaderFactory factory,
                              long maxOutOfOrderBytes, long maxBacklogBytes, int maxBuffers, int maxDevices,
                              boolean requireRegistered) {

    /** Copies the loader map. */
    public ReceiverOptions {
        loaders = Map.copyOf(loaders);
    }
}
