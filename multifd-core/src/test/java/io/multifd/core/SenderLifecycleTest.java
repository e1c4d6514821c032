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

import io.multifd.api.DataChecksum;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PluginUnavailableException;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.SendData;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Misuse gets a clear exception; idle channels stay alive; the bandwidth cap holds; abort tells the receiver. */
@Timeout(60)
class SenderLifecycleTest {

    private final InMemoryTransport transport = InMemoryTransport.create();

    @AfterEach
    void threadsEnded() throws InterruptedException {
        assertThat(Threads.awaitNone(5)).isEmpty();
    }

    private MultiFdSender newSender(MultiFdConfig config) {
        return MultiFdSender.builder(config, transport.connector()).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload()).build();
    }

    @Test
    void callsInTheWrongStateAreRefusedClearly() throws Exception {
        try (MultiFdSender s = newSender(MultiFdConfig.defaults())) {
            BlobPayload p = s.payload(BlobPayload.class).orElseThrow();
            SendData slot = s.newSlot();
            slot.fill(p).add(1, 1, 10);
            assertThatThrownBy(() -> s.send(slot)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("was not declared");
            BlobClient.declare(s, p);
            assertThatThrownBy(() -> s.send(slot)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not connected yet");
            assertThatThrownBy(s::sync).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(s::finish).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> BlobClient.declare(s, p)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already declared");
            assertThatThrownBy(() -> s.send(s.newSlot())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("empty slot");
            SendData foreign = s.newSlot();
            foreign.fill(new BlobPayload()).add(1, 1, 1);
            assertThatThrownBy(() -> s.send(foreign)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not the instance registered");
        }
    }

    /** A listener bound but never started accepts the connection and says nothing: the timeout says so. */
    @Test
    void aListenerNobodyStartedIsNamedInTheTimeout() throws Exception {
        try (io.multifd.core.transport.TcpTransport.Listener bound = io.multifd.core.transport.TcpTransport.listen(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
             MultiFdSender s = MultiFdSender.builder(MultiFdConfig.builder().channels(1)
                             .handshakeTimeout(Duration.ofMillis(500)).build(),
                     io.multifd.core.transport.TcpTransport.connector(bound.localAddress()))
                     .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
            BlobClient.declare(s, s.payload(BlobPayload.class).orElseThrow());
            assertThatThrownBy(s::connect).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("while the sender was reading reply")
                    .hasMessageContaining("no reply to the hello: is a multifd receiver started there")
                    .cause().isInstanceOf(io.multifd.api.ChannelTimeoutException.class);
        }
    }

    @Test
    void aNegativeSocketBufferSizeIsRefused() {
        assertThatThrownBy(() -> io.multifd.core.transport.TcpTransport.connector(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 5000), -5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bufferSize").hasMessageContaining("-5");
    }

    @Test
    void connectAfterCloseSaysTheSenderWasClosed() {
        MultiFdSender s = newSender(MultiFdConfig.defaults());
        s.close();
        assertThatThrownBy(s::connect).isInstanceOf(IllegalStateException.class)
                .hasMessage("the sender was closed before connect()");
        assertThat(transport.connections()).isZero();
    }

    @Test
    void anUnknownCodecFailsConnectBeforeAnyConnection() {
        try (MultiFdSender s = newSender(MultiFdConfig.builder().codec("brotli").build())) {
            assertThatThrownBy(s::connect).isInstanceOf(PluginUnavailableException.class)
                    .hasMessageContaining("'brotli'");
        }
        assertThat(transport.connections()).isZero();
    }

    @Test
    void optionsTheCodecRefusesFailConnectBeforeAnyConnection() {
        try (MultiFdSender s = newSender(MultiFdConfig.builder().codec("none",
                io.multifd.api.CodecOptions.level(3)).build())) {
            assertThatThrownBy(s::connect).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("takes no options");
        }
        assertThat(transport.connections()).isZero();
    }

    @Test
    void idleChannelsSendKeepalivesAndSurviveLongerThanTheIoTimeout() throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).ioTimeout(Duration.ofMillis(300)).build();
        try (Harness h = Harness.connect(config, transport.listener(), transport.connector())) {
            BlobClient c = h.client();
            c.add(1, 1, 10);
            c.flush();
            // the product does other work for over three I/O timeouts; no data flows meanwhile
            new CountDownLatch(1).await(1200, TimeUnit.MILLISECONDS);
            c.add(2, 1, 10);
            c.flush();
            h.sender.finish();
            assertThat(h.receiver.await().packets()).isEqualTo(2);
        }
    }

    @Test
    void theBandwidthCapHoldsForEveryPayload() throws Exception {
        long cap = 1 << 20; // 1 MiB/s
        MultiFdConfig config = MultiFdConfig.builder().channels(3).maxBandwidth(cap).build();
        try (Harness h = Harness.connect(config, transport.listener(), transport.connector())) {
            BlobClient c = h.client();
            long t0 = System.nanoTime();
            for (int i = 0; i < 400; i++) {
                c.add(i, 1, 2000); // 800 KB in all
            }
            c.flush();
            MigrationStats s = h.sender.finish();
            double seconds = (System.nanoTime() - t0) / 1e9;
            // a lower bound only (the bucket starts full with 0.1 s of bytes): never flaky on a slow machine
            double floor = (s.wireBytes() - cap / 10.0) / cap;
            assertThat(seconds).as("seconds for %d wire bytes under a %d B/s cap", s.wireBytes(), cap)
                    .isGreaterThanOrEqualTo(floor * 0.9);
            assertThat(h.receiver.await().rawBytes()).isEqualTo(800_000);
        }
    }

    @Test
    void everyDataChecksumModeMovesTheSameBytes() throws Exception {
        for (DataChecksum mode : DataChecksum.values()) {
            InMemoryTransport t = InMemoryTransport.create();
            MultiFdConfig config = MultiFdConfig.builder().channels(2).dataChecksum(mode).build();
            try (Harness h = Harness.connect(config, t.listener(), t.connector())) {
                BlobClient c = h.client();
                for (int i = 0; i < 300; i++) {
                    c.add(i, 7, 1000);
                }
                c.flush();
                h.sender.finish();
                h.receiver.await();
                assertThat(h.sink.corrupt()).as(mode.toString()).isZero();
                assertThat(h.sink.arrivals()).hasSize(300);
            }
        }
    }

    /**
     * A plug-in's encoder failing on a channel thread fails the migration there, before any byte
     * of the packet is written: the channel still works, so the receiver gets the reason, not an
     * end of stream.
     */
    @Test
    void aPayloadThatFailsOnAChannelThreadTellsTheReceiverWhy() throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).maxPacketDataLength(64 * 1024).build();
        try (Harness h = Harness.connect(config, transport.listener(), transport.connector())) {
            BlobClient c = h.client();
            c.add(1, 1, 100_000); // more data than one packet of this sender may carry
            c.flush();
            assertThatThrownBy(h.sender::finish).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("over maxPacketDataLength 65536");
            assertThatThrownBy(h.receiver::await).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("the sender aborted: packet data would be")
                    .cause().isInstanceOf(RemoteFailureException.class);
            assertThat(h.sink.arrivals()).isEmpty();
        }
    }

    @Test
    void closingBeforeFinishAbortsAndTellsTheReceiverWhy(CapturedLogs logs) throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        Harness h = Harness.connect(config, transport.listener(), transport.connector(), b -> b,
                new MigrationListener() {
                    @Override
                    public void onFailed(Throwable cause) {
                        failures.add(cause);
                    }
                });
        BlobClient c = h.client();
        c.add(1, 1, 100);
        c.flush();
        h.sender.close();
        assertThatThrownBy(h.receiver::await).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("the sender aborted: the sender was closed before finish() completed")
                .cause().isInstanceOf(RemoteFailureException.class);
        assertThat(failures).hasSize(1);
        assertThatThrownBy(() -> h.sender.send(h.sender.newSlot())).isInstanceOf(IllegalArgumentException.class);
        SendData s = h.sender.newSlot();
        s.fill(h.plugin).add(5, 1, 1);
        assertThatThrownBy(() -> h.sender.send(s)).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("send failed");
        h.close();
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: the sender aborted: the sender was closed before finish() completed",
                Duration.ofSeconds(10));
    }

    @Test
    void anInterruptedSendKeepsTheSlotAndTheMigrationGoesOn() throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(1).build();
        try (Harness h = Harness.connect(config, transport.listener(), transport.connector())) {
            SendData slot = h.sender.newSlot();
            slot.fill(h.plugin).add(1, 1, 10);
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> h.sender.send(slot)).isInstanceOf(InterruptedIOException.class);
            assertThat(Thread.interrupted()).isTrue();
            assertThat(slot.isEmpty()).isFalse();
            SendData empty = h.sender.send(slot);
            assertThat(empty.isEmpty()).isTrue();
            h.sender.finish();
            assertThat(h.receiver.await().packets()).isEqualTo(1);
        }
    }

    @Test
    void aNewMigrationAfterAFailedOneStartsFromCleanCounters(CapturedLogs logs) throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        Harness first = Harness.connect(config, transport.listener(), transport.connector());
        BlobClient c = first.client();
        c.add(1, 1, 100);
        c.flush();
        first.sender.close();
        first.close();
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: the sender was closed before finish() completed", Duration.ofSeconds(10));
        InMemoryTransport t2 = InMemoryTransport.create();
        try (Harness second = Harness.connect(config, t2.listener(), t2.connector())) {
            BlobClient c2 = second.client();
            c2.add(9, 1, 50);
            c2.flush();
            MigrationStats s = second.sender.finish();
            assertThat(s.packets()).isEqualTo(1);
            assertThat(s.rawBytes()).isEqualTo(50);
            assertThat(second.receiver.await().rawBytes()).isEqualTo(50);
        }
    }

    @Test
    void aSetupRecordIsCopiedAtDeclare() throws Exception {
        try (MultiFdSender s = newSender(MultiFdConfig.defaults())) {
            ByteBuffer record = ByteBuffer.wrap(new byte[] {1, 2});
            s.declare(s.payload(BlobPayload.class).orElseThrow(), record);
            assertThat(record.position()).isZero();
        }
    }
}
