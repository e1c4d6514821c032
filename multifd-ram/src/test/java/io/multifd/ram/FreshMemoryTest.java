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

import io.multifd.api.MigrationListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fresh memory: on JDK 22+ on Linux with native access (this module's test JVMs enable it) anonymous
 * memory from mmap, elsewhere direct memory; either way zero-filled, writable across segment
 * boundaries, and a destination that receives a migration byte for byte.
 */
@Timeout(120)
class FreshMemoryTest {

    @Test
    void theKindMatchesTheReasonAndThisJvm() {
        boolean expectAnonymous = Runtime.version().feature() >= 22 && System.getProperty("os.name").equals("Linux")
                && List.of("amd64", "aarch64").contains(System.getProperty("os.arch"));
        assertThat(FreshMemory.kind()).as("reason: %s", FreshMemory.unavailableReason())
                .isEqualTo(expectAnonymous ? FreshMemory.Kind.ANONYMOUS : FreshMemory.Kind.DIRECT);
        assertThat(FreshMemory.unavailableReason().isPresent()).isEqualTo(FreshMemory.kind() == FreshMemory.Kind.DIRECT);
        if (Runtime.version().feature() < 22) {
            assertThat(FreshMemory.unavailableReason()).hasValueSatisfying(r -> assertThat(r).contains("JDK 22"));
        }
    }

    @Test
    void blocksStartZeroAndHoldWhatIsWrittenAcrossSegments() {
        long segment = RamBlock.MIN_SEGMENT_SIZE; // 2 MiB segments: five of them, the last partial
        long length = 4 * segment + 100;
        RamBlock b = FreshMemory.allocate("fresh", length, 4096, segment);
        assertThat(b.length()).isEqualTo(length);
        assertThat(b.segmentCount()).isEqualTo(5);
        assertThat(b.isReadOnly()).isFalse();
        for (long off = 0; off < length; off += 4096) {
            assertThat(b.isZeroPage(off)).as("page at %d", off).isTrue();
        }
        byte[] data = new byte[3 * 4096];
        new Random(7).nextBytes(data);
        long across = segment - 4096; // spans the first segment boundary
        b.put(across, data, 0, data.length);
        b.putLong(length - 8, 0x0123456789abcdefL);
        byte[] back = new byte[data.length];
        b.get(across, back, 0, back.length);
        assertThat(back).isEqualTo(data);
        assertThat(b.getLong(length - 8)).isEqualTo(0x0123456789abcdefL);
        assertThat(b.isZeroPage(across - 4096)).isTrue();
    }

    @Test
    void argumentsAreCheckedLikeRamBlockAllocate() {
        assertThatThrownBy(() -> FreshMemory.allocate("", 4096, 4096)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("block name");
        assertThatThrownBy(() -> FreshMemory.allocate("x", 0, 4096)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("block length");
        assertThatThrownBy(() -> FreshMemory.allocate("x", 4096, 1000)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("page size");
    }

    @Test
    void aMigrationIntoFreshMemoryIsByteExact() throws Exception {
        long seed = 4242;
        RamBlock src = RamBlock.allocate("pc.ram", RamMigrationTest.IMAGE);
        Images.fillMixed(src, seed);
        List<RamBlock> made = Collections.synchronizedList(new ArrayList<>());
        Migrations.migrate(Migrations.Kind.TCP, seed, 2, List.of(src),
                RamPayload.receiving(RamDestination.allocatingFresh(made)), MigrationListener.NONE,
                RamSaver::saveAll);
        assertThat(made).singleElement().satisfies(dst -> {
            assertThat(dst.length()).isEqualTo(src.length());
            assertThat(Images.sha256(dst)).as("first mismatches %s", Images.firstMismatches(src, dst))
                    .isEqualTo(Images.sha256(src));
        });
    }
}
