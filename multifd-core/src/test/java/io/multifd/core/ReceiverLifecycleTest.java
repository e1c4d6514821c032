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
package io.multifd.core;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.transport.InMemoryTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The receiver's life cycle outside a migration: start twice, close before start. */
@Timeout(30)
class ReceiverLifecycleTest {

    @Test
    void startTwiceSaysItWasAlreadyCalled() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        try (MultiFdReceiver r = MultiFdReceiver.builder(MultiFdConfig.builder().build(), t.listener()).build()) {
            r.start();
            assertThatThrownBy(r::start).isInstanceOf(IllegalStateException.class)
                    .hasMessage("start() was already called");
        }
    }

    @Test
    void startAfterCloseSaysTheReceiverWasClosed() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = MultiFdReceiver.builder(MultiFdConfig.builder().build(), t.listener()).build();
        r.close();
        assertThatThrownBy(r::start).isInstanceOf(IllegalStateException.class)
                .hasMessage("the receiver was closed before start()");
        assertThatThrownBy(() -> r.await(Duration.ofSeconds(5))).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("closed before start()");
    }
}
