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
package io.multifd.devicestate;

/**
 * Makes the loader of a device that has no registered loader, when that device's first buffer
 * arrives (for instance the command line writes each device's state to a file of its own).
 *
 * <p>Called on the receiving channel thread that met the device first, once per device and
 * session, never concurrently with itself (device creation is serialized): keep it quick (open a
 * file, allocate a small object); never wait for other devices or for channel data. Must be
 * thread-safe in the sense that successive calls come from different threads.
 */
@FunctionalInterface
public interface DeviceStateLoaderFactory {

    /**
     * Makes a loader, or refuses the device.
     *
     * @param deviceId the device id, valid UTF-8, 1 to 255 bytes, no NUL; chosen by the sender,
     *                 so untrusted: sanitize it before using it as, say, a file name
     * @param instance the instance id (an unsigned 32-bit number on the wire)
     * @return a new loader owned by the library until it completes or is aborted, or {@code null}
     *         to refuse the device, which fails the migration naming the field {@code device-state.id}
     * @throws Exception to fail the migration
     */
    DeviceStateLoader create(String deviceId, int instance) throws Exception;
}
