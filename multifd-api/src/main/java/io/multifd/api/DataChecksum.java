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
package io.multifd.api;

/**
 * Which packet data a CRC32C covers, besides the header CRC that every packet has.
 *
 * <p>A checksum may only cover <em>stable</em> bytes: bytes that cannot change between the moment
 * the CRC is computed and the moment they are written. A codec's output is stable (it sits in the
 * codec's own buffer), and so is data a payload adds with
 * {@link io.multifd.api.spi.OutgoingPacket#addStableData} (device state: sealed buffers).
 * Uncompressed RAM pages are live memory that a writer may change while they are sent, so they
 * are covered only if the sender first copies them into a staging buffer ({@link #ALL}), which
 * costs one memory copy per packet. Accidental corruption of raw pages is otherwise left to the
 * transport (TCP's checksum, or TLS). docs/design/0013 records the measurements behind the
 * default.
 */
public enum DataChecksum {
    /** Only headers are checked. */
    OFF,
    /**
     * The default: a codec's output and stable raw data are checked; live raw data (RAM pages)
     * is not.
     */
    ENCODED,
    /** Everything: live raw data is first copied into a per-channel staging buffer, then checked. */
    ALL
}
