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
 * The device-state payload: many savers in parallel with RAM, in-order reassembly and per-device
 * loaders on the receiver. See {@link io.multifd.devicestate.DeviceStatePayload}.
 *
 * <p>Only {@code io.multifd.devicestate} is exported: the plug-in and what users call (the saver,
 * loaders, the loader factory). The encoder, the receiver and the wire format live in
 * {@code io.multifd.devicestate.internal}, which is not.
 */
module io.multifd.devicestate {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;

    exports io.multifd.devicestate;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.devicestate.DeviceStatePayload;
}
