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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.testkit.Harness;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.transport.TcpTransport;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.BlobClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
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

    @Test
    void anAwaitWhoseTimeRanOutLeavesTheMigrationRunning() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        try (Harness h = Harness.connect(MultiFdConfig.builder().channels(2).build(), t.listener(), t.connector())) {
            assertThatThrownBy(() -> h.receiver.await(Duration.ofMillis(50))).isInstanceOf(ChannelTimeoutException.class)
                    .hasMessageContaining("did not end within").hasMessageContaining("it goes on");
            BlobClient c = h.client();
            c.add(1, 1, 1000);
            c.flush();
            h.sender.finish();
            assertThat(h.receiver.await(Duration.ofSeconds(10)).packets()).isEqualTo(1);
            assertThat(h.sink.arrivals()).hasSize(1);
        }
    }

    @Test
    void aBuildThatFailsReleasesTheListenersAddress() throws Exception {
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress bound = l.localAddress();
        MultiFdReceiver.Builder b = MultiFdReceiver.builder(MultiFdConfig.builder().build(), l)
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(new BlobSink())).payload(new BlobPayload(new BlobSink()));
        assertThatThrownBy(b::build).isInstanceOf(IllegalArgumentException.class);
        TcpTransport.listen(bound).close(); // the address is free again
    }
}
