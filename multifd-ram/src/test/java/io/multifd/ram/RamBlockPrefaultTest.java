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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link RamBlock#prefault()} keeps every byte, on every kind of block. */
@Timeout(60)
class RamBlockPrefaultTest {

    private static final long SEG = RamBlock.MIN_SEGMENT_SIZE;

    @Test
    void aWritableMappingKeepsItsBytesAndItsFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mem.img");
        long length = 3 * SEG + 3 * 4096 + 17; // several segments and a partial last page
        RamBlock rw = RamBlock.map("rw", file, length, 4096, true);
        Images.fillMixed(rw, 5);
        String before = Images.sha256(rw);
        assertThat(rw.prefault()).isSameAs(rw);
        assertThat(Images.sha256(rw)).isEqualTo(before);
        rw.force();
        assertThat(Files.size(file)).isEqualTo(length);
        RamBlock ro = RamBlock.map("ro", file, length, 4096, false);
        assertThat(ro.prefault()).isSameAs(ro);
        assertThat(Images.sha256(ro)).as("the file holds the same bytes").isEqualTo(before);
    }

    @Test
    void directAndFreshMemoryKeepTheirBytes() {
        RamBlock direct = RamBlock.allocate("direct", 2 * SEG + 1, 4096, SEG);
        Images.fillMixed(direct, 6);
        String d = Images.sha256(direct);
        assertThat(Images.sha256(direct.prefault())).isEqualTo(d);
        RamBlock fresh = FreshMemory.allocate("fresh", 2 * SEG + 4096, 4096, SEG);
        Images.fillMixed(fresh, 7);
        String f = Images.sha256(fresh);
        assertThat(Images.sha256(fresh.prefault())).isEqualTo(f);
    }

    @Test
    void aWrappedBufferAtAnOddAddressIsTouchedWithinItsBounds() {
        ByteBuffer mem = ByteBuffer.allocateDirect(5 * 4096 + 64);
        for (int i = 0; i < mem.capacity(); i++) {
            mem.put(i, (byte) (i * 31 + 7));
        }
        ByteBuffer copy = ByteBuffer.allocate(mem.capacity()).put(mem.duplicate().clear()).flip();
        RamBlock odd = RamBlock.wrap("odd", mem.duplicate().position(3).limit(3 + 4 * 4096 + 2), 4096);
        assertThat(odd.prefault()).isSameAs(odd);
        assertThat(mem.duplicate().clear()).as("no byte inside or around the block changed").isEqualTo(copy);
        RamBlock ro = RamBlock.wrap("ro", mem.asReadOnlyBuffer().position(1), 4096);
        assertThat(ro.prefault()).isSameAs(ro);
        assertThat(mem.duplicate().clear()).isEqualTo(copy);
    }
}
