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
package io.multifd.api.spi;

import java.nio.ByteBuffer;

/**
 * Where a packet's data goes: the destination buffers a {@link PayloadChannelReceiver} names,
 * filled by the core in the order added. Owned by the core, reused per packet.
 */
public interface DataTargets {

    /**
     * Adds a destination. The core fills it from its position to its limit (advancing the
     * position); the buffer stays owned by the receiver, which must not touch it until
     * {@link PayloadChannelReceiver#end(IncomingPacket)}.
     *
     * @param target a buffer with remaining space; may be a view of destination memory
     */
    void add(ByteBuffer target);
}
