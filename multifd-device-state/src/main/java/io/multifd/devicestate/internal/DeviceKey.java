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

import java.util.Objects;

/**
 * Identifies one device's state in a session: its id and instance. Immutable.
 *
 * @param id       the device id
 * @param instance the instance id (unsigned 32-bit on the wire)
 */
public record DeviceKey(String id, int instance) {

    /** Checks the id is present. */
    public DeviceKey {
        Objects.requireNonNull(id, "id");
    }

    @Override
    public String toString() {
        return DeviceStateWire.deviceName(id, instance);
    }
}
