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
package io.multifd.ram;

import io.multifd.ram.internal.RamAccess;

import java.nio.ByteBuffer;

/** Hands {@link RamBlock}'s package-private parts to the encoder and receivers in the internal package. */
final class RamBlockAccess extends RamAccess {
    @Override
    public byte[] nameBytes(RamBlock block) {
        return block.nameBytes();
    }

    @Override
    public ByteBuffer[] segments(RamBlock block) {
        return block.segments();
    }

    @Override
    public int pageShift(RamBlock block) {
        return block.pageShift();
    }

    @Override
    public int segmentIndex(RamBlock block, long offset) {
        return block.segmentIndex(offset);
    }

    @Override
    public int segmentOffset(RamBlock block, long offset) {
        return block.segmentOffset(offset);
    }

    @Override
    public long[] offsets(RamBody body) {
        return body.offsetArray();
    }
}
