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
package io.multifd.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class ImageGeneratorTest {

    @TempDir
    Path dir;

    @Test
    void theSameArgumentsWriteTheSameBytesAndTheHashIsTheFiles() throws Exception {
        long size = (3 << 20) + 1234; // not a multiple of the page size
        ImageGenerator.Result a = new ImageGenerator(size, 4096, 7, 40, 35, 25).write(dir.resolve("a.img"));
        ImageGenerator.Result b = new ImageGenerator(size, 4096, 7, 40, 35, 25).write(dir.resolve("b.img"));
        assertThat(Files.size(dir.resolve("a.img"))).isEqualTo(size);
        assertThat(a.sha256()).isEqualTo(b.sha256()).isEqualTo(Hashing.sha256(dir.resolve("a.img")));
        assertThat(a.pages()).isEqualTo(769).isEqualTo(a.zeroPages() + a.textPages() + a.randomPages());
        ImageGenerator.Result other = new ImageGenerator(size, 4096, 8, 40, 35, 25).write(dir.resolve("c.img"));
        assertThat(other.sha256()).isNotEqualTo(a.sha256());
    }

    @Test
    void aLongerImageStartsWithTheShorterOneAndTheMixIsRoughlyAsAsked() throws Exception {
        new ImageGenerator(1 << 20, 4096, 3, 50, 30, 20).write(dir.resolve("short.img"));
        ImageGenerator.Result r = new ImageGenerator(8 << 20, 4096, 3, 50, 30, 20).write(dir.resolve("long.img"));
        byte[] s = Files.readAllBytes(dir.resolve("short.img"));
        byte[] l = Files.readAllBytes(dir.resolve("long.img"));
        assertThat(Arrays.equals(s, 0, s.length, l, 0, s.length)).isTrue();
        assertThat(r.zeroPages()).isBetween(2048L * 45 / 100, 2048L * 55 / 100);
        assertThat(r.randomPages()).isBetween(2048L * 15 / 100, 2048L * 25 / 100);
        long zeroFound = 0; // the pages counted as zero are exactly the all-zero pages of the file
        for (int p = 0; p < l.length; p += 4096) {
            int i = p;
            while (i < p + 4096 && l[i] == 0) {
                i++;
            }
            zeroFound += i == p + 4096 ? 1 : 0;
        }
        assertThat(zeroFound).isEqualTo(r.zeroPages());
    }

    @Test
    void theMixIsCompletedFromTheDefaultsOrRefused() {
        assertThat(GenImageCommand.mix(null, null, null)).containsExactly(40, 35, 25);
        assertThat(GenImageCommand.mix(100, null, null)).containsExactly(100, 0, 0);
        assertThat(GenImageCommand.mix(20, null, null)).containsExactly(20, 46, 34);
        assertThat(GenImageCommand.mix(10, 10, 80)).containsExactly(10, 10, 80);
        assertThatThrownBy(() -> GenImageCommand.mix(10, 10, 10)).hasMessage("--zero, --text and --random must add up to 100, not 30");
        assertThatThrownBy(() -> GenImageCommand.mix(60, 50, null)).hasMessage("--zero, --text and --random must add up to 100, not 110");
        assertThatThrownBy(() -> GenImageCommand.mix(101, null, null)).hasMessage("--zero must be a percentage from 0 to 100: 101");
    }
}
