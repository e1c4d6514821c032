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
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.SessionId;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.testing.transport.FaultLink;
import io.multifd.core.testkit.Async;
import io.multifd.core.testkit.RawClient;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.wire.EndExchange;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.wire.Wire;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Every wait on both sides is bounded by lack of progress, the I/O timeout, and only by that: the
 * four waits the audit of issue 12 found unbounded or bounded by the wrong thing, each shown
 * directly. Each test failed before the fix.
 */
@Timeout(60)
class WaitBoundsTest {

    private static final SessionId SESSION = new SessionId(12, 12);

    private MultiFdSender sender;
    private MultiFdReceiver receiver;

    @AfterEach
    void cleanUp() throws InterruptedException {
        if (sender != null) {
            sender.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        assertThat(Threads.awaitNone(5)).as("multifd threads alive").isEmpty();
    }

    private BlobClient connect(MultiFdConfig senderConfig, MultiFdConfig receiverConfig, TransportListener listener,
                               TransportConnector connector, BlobSink sink) throws IOException {
        receiver = MultiFdReceiver.builder(receiverConfig, listener).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink)).build().start();
        sender = MultiFdSender.builder(senderConfig, connector).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload()).build();
        BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
        BlobClient.declare(sender, plugin);
        sender.connect();
        return new BlobClient(sender, plugin);
    }

    /**
     * Finding: the sender's data writes were bounded by the handshake timeout, not the I/O
     * timeout. A channel whose writes stall after the handshake, while the owner waits in
     * {@code sync()}, fails the migration after the I/O timeout (500 ms here), and says so; the
     * handshake timeout (20 s) plays no part.
     */
    @Test
    void aStalledWriteFailsAfterTheIoTimeoutNotTheHandshakeTimeout() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        FaultLink link = new FaultLink(new FaultLink.Fault(FaultLink.Side.SENDER, 0, Long.MAX_VALUE, FaultLink.Kind.STALL));
        MultiFdConfig senderConfig = MultiFdConfig.builder().channels(1).handshakeTimeout(Duration.ofSeconds(20))
                .ioTimeout(Duration.ofMillis(500)).build();
        BlobClient c = connect(senderConfig, MultiFdConfig.builder().build(), link.listener(t.listener()),
                link.connector(t.connector()), new BlobSink());
        c.add(1, 1, 4000);
        c.flush();
        sender.sync();
        link.trigger(); // from the next write on, channel 0 moves nothing
        c.add(2, 1, 4000);
        c.flush();
        Throwable e = catchThrowable(sender::sync);
        assertThat(link.fired()).isTrue();
        assertThat(e).isInstanceOf(MigrationFailedException.class);
        assertThat(e.getCause()).isInstanceOf(ChannelTimeoutException.class).hasMessageContaining(" 500 ms while ");
        assertThatThrownBy(() -> receiver.await(Duration.ofSeconds(10))).isInstanceOf(MigrationFailedException.class);
    }

    /**
     * Finding: the receiver waited without any deadline at the sync barrier and after EOS. A
     * sender that writes SYNC on channel 0, EOS on channel 1, and then nothing (keeping both
     * connections open) held both channels forever; now the receiver fails once no channel moved
     * a byte for its I/O timeout.
     */
    @Test
    void syncOnOneChannelAndEosOnAnotherThenNothingFailsTheReceiver() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().ioTimeout(Duration.ofMillis(500)).build();
        receiver = MultiFdReceiver.builder(config, t.listener()).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(new BlobSink())).build().start();
        try (RawClient c0 = RawClient.connect(t.connector(), 0); RawClient c1 = RawClient.connect(t.connector(), 1)) {
            c0.hello(SESSION, 0, 2, 0, "");
            assertThat(c0.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
            c0.manifest(List.of(new Manifest.Record(BlobPayload.ID, new byte[0])));
            assertThat(c0.reply().kind()).isEqualTo(Wire.REPLY_MANIFEST_ACCEPT);
            c1.hello(SESSION, 1, 2, 0, "");
            assertThat(c1.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
            c0.packet(control(Wire.FLAG_SYNC), new byte[0], new byte[0], false);
            byte[] eos = new byte[16];
            EndExchange.eosBody(ByteBuffer.wrap(eos), 0, 0);
            c1.packet(control(Wire.FLAG_EOS), eos, new byte[0], false);
            Throwable e = catchThrowable(() -> receiver.await(Duration.ofSeconds(20)));
            assertThat(e).as("the receiver failed on its own, it did not just outlast await()")
                    .isInstanceOf(MigrationFailedException.class);
            assertThat(e.getCause()).isInstanceOf(ChannelTimeoutException.class)
                    .hasMessageContaining("no channel moved a byte for 500 ms");
        }
    }

    private static PacketHeader control(int flags) {
        PacketHeader h = new PacketHeader();
        h.flags = flags;
        return h;
    }

    /**
     * Finding: send() waited at most the I/O timeout for an idle channel, so under a low bandwidth
     * cap a healthy migration failed with "the receiver is not reading". At 4 KiB/s one packet of
     * 4 KB takes about a second, the sender's I/O timeout is 300 ms: every send() after the first
     * waits longer than that for the one channel, and the migration still completes.
     */
    @Test
    void aLowBandwidthCapNeverMakesSendTimeOut() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig senderConfig = MultiFdConfig.builder().channels(1).ioTimeout(Duration.ofMillis(300))
                .maxBandwidth(4096).build();
        BlobSink sink = new BlobSink();
        BlobClient c = connect(senderConfig, MultiFdConfig.builder().build(), t.listener(), t.connector(), sink);
        for (long i = 0; i < 3; i++) {
            c.add(i, 1, 4000);
            c.flush();
        }
        sender.sync();
        MigrationStats s = sender.finish();
        receiver.await(Duration.ofSeconds(20));
        assertThat(s.packets()).isEqualTo(3);
        assertThat(sink.applied()).hasSize(3);
        assertThat(sink.corrupt()).isZero();
    }

    /**
     * Finding (embedder audit): channels under one low cap took turns at random, each asking for
     * 50 ms of the whole cap at a time, so a channel could wait past the receiver's I/O timeout in
     * the middle of a packet while the others took the refills (16 channels at 64 KiB/s: a second
     * a round at best), and the receiver failed with "no progress". Served in order, with chunks
     * shared among the channels, each channel writes about every 50 ms.
     */
    @Test
    void aCapSharedByManyChannelsStarvesNoneOfThem() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(16).ioTimeout(Duration.ofMillis(600))
                .maxBandwidth(64 << 10).build();
        BlobSink sink = new BlobSink();
        BlobClient c = connect(config, config, t.listener(), t.connector(), sink);
        for (long i = 0; i < 16; i++) {
            c.add(i, 1, 8000); // a packet each, 128 KB in all: about 2 s at the cap
            c.flush();
        }
        MigrationStats s = sender.finish();
        receiver.await(Duration.ofSeconds(20));
        assertThat(s.packets()).isEqualTo(16);
        assertThat(sink.applied()).hasSize(16);
        assertThat(sink.corrupt()).isZero();
    }

    /**
     * Finding: send() racing finish() could hand a slot to a channel after it wrote EOS. Now
     * finish() waits for every send() in flight: each either went out before the end of stream
     * or threw; the receiver applied exactly the blobs whose send() returned, and both sides
     * succeed. 200 races, a client on each of two threads.
     */
    @Test
    void sendRacingFinishNeverPushesDataAfterEndOfStream() throws Exception {
        for (int run = 0; run < 200; run++) {
            InMemoryTransport t = InMemoryTransport.create();
            BlobSink sink = new BlobSink();
            MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
            connect(config, config, t.listener(), t.connector(), sink);
            BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
            AtomicLong sent = new AtomicLong();
            CountDownLatch going = new CountDownLatch(2);
            List<CompletableFuture<Throwable>> clients = List.of(0L, 1L).stream().map(k -> Async.supply(() -> {
                BlobClient c = new BlobClient(sender, plugin);
                going.countDown();
                return catchThrowable(() -> {
                    for (long i = 0; ; i++) {
                        c.add(k * 1_000_000_000L + i, 1, 64);
                        c.flush();
                        sent.incrementAndGet();
                    }
                });
            })).toList();
            assertThat(going.await(10, TimeUnit.SECONDS)).isTrue();
            MigrationStats s = sender.finish();
            assertThat(receiver.await(Duration.ofSeconds(20))).isNotNull();
            for (CompletableFuture<Throwable> f : clients) {
                assertThat(f.get(10, TimeUnit.SECONDS)).as("run %d", run).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("finish");
            }
            assertThat(sink.applied()).as("run %d", run).hasSize((int) sent.get());
            assertThat(s.packets()).isEqualTo(sent.get());
            sender.close();
            receiver.close();
        }
    }
}
