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
 * Counters of one payload type on one side of a migration, as a snapshot. Immutable.
 *
 * <p>What an <em>item</em> is belongs to the payload: RAM counts pages in {@code items} and zero
 * pages (pages that travelled as an offset only) in {@code elidedItems}; device state counts
 * buffers.
 *
 * @param typeId      the payload's wire id
 * @param name        the payload's name
 * @param packets     packets of this type
 * @param rawBytes    data bytes before encoding
 * @param wireBytes   bytes on the wire for these packets: headers and encoded data
 * @param items       items whose data travelled (RAM: normal pages)
 * @param elidedItems items that travelled as metadata only (RAM: zero pages)
 */
public record PayloadStats(int typeId, String name, long packets, long rawBytes, long wireBytes,
                           long items, long elidedItems) {
}
