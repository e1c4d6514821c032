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

import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class SendDataTest {

    /** A payload whose body is a list; counts bodies made. */
    static final class ListPayload implements PayloadPlugin<List<String>> {
        final String name;
        int made;
        int resets;

        ListPayload(String name) {
            this.name = name;
        }

        @Override
        public int id() {
            return 1000 + name.length();
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public List<String> newBody() {
            made++;
            return new ArrayList<>();
        }

        @Override
        public void resetBody(List<String> body) {
            resets++;
            body.clear();
        }

        @Override
        public PayloadEncoder<List<String>> newEncoder(SendChannelContext context) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void aBodyIsMadeOncePerSlotAndTypeThenReset() {
        ListPayload a = new ListPayload("a");
        ListPayload bb = new ListPayload("bb");
        SendData slot = new SendData();
        assertThat(slot.isEmpty()).isTrue();
        List<String> first = slot.fill(a);
        first.add("x");
        assertThat(slot.fill(a)).isSameAs(first).containsExactly("x");
        assertThat(slot.plugin()).isSameAs(a);
        slot.clear();
        assertThat(slot.isEmpty()).isTrue();
        assertThat(first).isEmpty();
        assertThat(a.resets).isEqualTo(1);
        List<String> other = slot.fill(bb);
        slot.clear();
        assertThat(slot.fill(a)).isSameAs(first);
        slot.clear();
        assertThat(slot.fill(bb)).isSameAs(other);
        for (int i = 0; i < 100; i++) {
            slot.clear();
            slot.fill(i % 2 == 0 ? a : bb);
        }
        assertThat(a.made).isEqualTo(1);
        assertThat(bb.made).isEqualTo(1);
    }

    @Test
    void fillingWithAnotherTypeWhileFullIsRefused() {
        ListPayload a = new ListPayload("a");
        ListPayload bb = new ListPayload("bb");
        SendData slot = new SendData();
        slot.fill(a).add("x");
        assertThatThrownBy(() -> slot.fill(bb)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'a'").hasMessageContaining("'bb'");
        assertThatThrownBy(() -> slot.body(bb)).isInstanceOf(IllegalStateException.class);
        assertThat(slot.body(a)).containsExactly("x");
        assertThat(slot).hasToString("SendData[a]");
    }

    @Test
    void clearingAnEmptySlotDoesNothing() {
        SendData slot = new SendData();
        slot.clear();
        assertThat(slot.isEmpty()).isTrue();
        assertThatThrownBy(() -> slot.body(new ListPayload("a"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nothing");
    }
}
