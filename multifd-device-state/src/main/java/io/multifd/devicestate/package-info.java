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
 * Device state over multifd: the {@link io.multifd.devicestate.DeviceStatePayload} plug-in (wire
 * id 2, name {@code device-state}), the thread-safe {@link io.multifd.devicestate.DeviceStateSaver}
 * on the sender, and per-device {@link io.multifd.devicestate.DeviceStateLoader}s on the receiver,
 * registered per device or made by a {@link io.multifd.devicestate.DeviceStateLoaderFactory}.
 *
 * <p>A device's state travels as buffers with indexes 0 to n-1, the last one flagged, on any
 * channel, in parallel with RAM and with other devices. The receiver restores the order from the
 * indexes (not from sync), feeds each device's loader on a load thread of its own, bounds the
 * memory it queues per device, and reports the migration complete only after every loader
 * completed. The wire layout is documented on {@link io.multifd.devicestate.DeviceStatePayload}.
 */
package io.multifd.devicestate;
