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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.SetupRefusedException;
import io.multifd.testing.FakeReceiveContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class RamDestinationTest {

    static final ByteBuffer RECORD = new RamSetupRecord(512 << 10,
            List.of(new RamBlockInfo("pc.ram", 1 << 20, 4096), new RamBlockInfo("vga", 64 << 10, 512))).encode();

    static void open(RamDestination d) throws SetupRefusedException {
        RamPayload.receiving(d).openReceiver(FakeReceiveContext.strict(2, MultiFdConfig.defaults()), RECORD.duplicate());
    }

    @Test
    void registeredBlocksMustMatchExactly() throws SetupRefusedException {
        open(RamDestination.of(RamBlock.allocate("vga", 64 << 10, 512), RamBlock.allocate("pc.ram", 1 << 20)));
        assertThatThrownBy(() -> open(RamDestination.of(RamBlock.allocate("pc.ram", 1 << 20))))
                .isInstanceOf(SetupRefusedException.class)
                .hasMessageContaining("'ram.setup.name' = vga").hasMessageContaining("no destination block");
        assertThatThrownBy(() -> open(RamDestination.of(RamBlock.allocate("pc.ram", 2 << 20),
                RamBlock.allocate("vga", 64 << 10, 512))))
                .hasMessageContaining("'ram.setup.blockLength' = 1048576").hasMessageContaining("2097152 bytes long");
        assertThatThrownBy(() -> open(RamDestination.of(RamBlock.allocate("pc.ram", 1 << 20),
                RamBlock.allocate("vga", 64 << 10, 4096))))
                .hasMessageContaining("'ram.setup.pageSize' = 512");
        assertThatThrownBy(() -> open(RamDestination.of(RamBlock.allocate("pc.ram", 1 << 20),
                RamBlock.allocate("vga", 64 << 10, 512), RamBlock.allocate("extra", 4096))))
                .hasMessageContaining("'ram.setup.name' = extra").hasMessageContaining("not announced");
        assertThatThrownBy(() -> RamDestination.of(RamBlock.allocate("a", 1), RamBlock.allocate("a", 1)))
                .isInstanceOf(IllegalArgumentException.class);
        ByteBuffer ro = ByteBuffer.allocateDirect(4096).asReadOnlyBuffer();
        assertThatThrownBy(() -> RamDestination.of(RamBlock.wrap("a", ro, 4096)))
                .hasMessageContaining("read-only");
    }

    @Test
    void factoryCreatesAndIsChecked() throws SetupRefusedException {
        List<RamBlock> made = new ArrayList<>();
        open(RamDestination.allocating(made));
        assertThat(made).extracting(RamBlock::name).containsExactly("pc.ram", "vga");
        assertThat(made.get(1).pageSize()).isEqualTo(512);
        assertThatThrownBy(() -> open(RamDestination.creating(i -> RamBlock.allocate(i.name(), i.length()))))
                .isInstanceOf(SetupRefusedException.class).hasMessageContaining("factory returned");
        assertThatThrownBy(() -> open(RamDestination.creating(i -> {
            throw new IOException("disk full");
        }))).isInstanceOf(SetupRefusedException.class).hasMessageContaining("disk full");
    }

    @Test
    void limitIsConfigurable() {
        RamPayload p = RamPayload.builder().maxTotalBytes(1 << 20).destination(RamDestination.allocating(new ArrayList<>()))
                .build();
        assertThatThrownBy(() -> p.openReceiver(FakeReceiveContext.strict(1, MultiFdConfig.defaults()), RECORD.duplicate()))
                .isInstanceOf(SetupRefusedException.class).hasMessageContaining("maxTotalBytes");
    }
}
