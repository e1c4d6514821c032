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
package io.multifd.ram.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class BlockTableTest {

    @Test
    void findsEveryNameAndNothingElse() {
        int n = 300;
        byte[][] names = new byte[n][];
        for (int i = 0; i < n; i++) {
            names[i] = ("block-" + i).getBytes(StandardCharsets.UTF_8);
        }
        BlockTable t = new BlockTable(names);
        for (int i = 0; i < n; i++) {
            ByteBuffer b = ByteBuffer.allocate(names[i].length + 5);
            b.position(5);
            b.put(names[i]);
            assertThat(t.find(b, 5, names[i].length)).isEqualTo(i);
        }
        ByteBuffer other = ByteBuffer.wrap("block-3000".getBytes(StandardCharsets.UTF_8));
        assertThat(t.find(other, 0, other.capacity())).isEqualTo(-1);
        assertThat(t.find(other, 0, 7)).isEqualTo(3); // the first 7 bytes spell "block-3"
    }

    @Test
    void prefixIsNotAMatch() {
        BlockTable t = new BlockTable(new byte[][]{"pc.ram".getBytes(StandardCharsets.UTF_8)});
        ByteBuffer b = ByteBuffer.wrap("pc.ramX".getBytes(StandardCharsets.UTF_8));
        assertThat(t.find(b, 0, 7)).isEqualTo(-1);
        assertThat(t.find(b, 0, 6)).isEqualTo(0);
        assertThat(t.find(b, 0, 5)).isEqualTo(-1);
    }
}
