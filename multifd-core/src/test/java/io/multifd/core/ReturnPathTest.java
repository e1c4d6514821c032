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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.ReturnPath;
import io.multifd.core.testkit.Transports;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The return path: messages a payload's receiving side sends back arrive at the sender's handler
 * of that payload, on every transport; a session that asked for none has none; a message the
 * sender cannot route fails the migration with its reason.
 */
class ReturnPathTest {

    /** The blob payload, whose receiving side answers every packet with its blob's length (type id {@code tag}). */
    static final class EchoBlobs extends BlobPayload {
        final AtomicReference<ReturnPath> path = new AtomicReference<>();
        final int tag;

        EchoBlobs(BlobSink sink, int tag) {
            super(sink);
            this.tag = tag;
        }

        EchoBlobs() {
            this.tag = 0;
        }

        @Override
        public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
            PayloadReceiver inner = super.openReceiver(context, setupRecord);
            ReturnPath rp = context.returnPath(tag);
            path.set(rp);
            return new PayloadReceiver() {
                @Override
                public PayloadChannelReceiver openChannel(int channelId) throws IOException {
                    PayloadChannelReceiver ch = inner.openChannel(channelId);
                    return new PayloadChannelReceiver() {
                        @Override
                        public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
                            ch.begin(packet, targets);
                        }

                        @Override
                        public void end(IncomingPacket packet) throws IOException {
                            ch.end(packet);
                            if (rp.available()) {
                                rp.send(ByteBuffer.allocate(8).putLong(0, packet.rawLength()));
                            }
                        }
                    };
                }

                @Override
                public void finish(Duration timeout) throws IOException {
                    inner.finish(timeout);
                }

                @Override
                public void abort(Throwable cause) {
                    inner.abort(cause);
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }
    }

    private static MultiFdReceiver receiver(MultiFdConfig config, Transports.Pair pair, EchoBlobs plugin) throws IOException {
        return MultiFdReceiver.builder(config, pair.listener()).registry(PluginRegistry.builder().build())
                .payload(plugin).build().start();
    }

    private static MultiFdSender sender(MultiFdConfig config, Transports.Pair pair) {
        return MultiFdSender.builder(config, pair.connector()).registry(PluginRegistry.builder().build())
                .payload(new EchoBlobs()).build();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transports.Kind.class)
    void everyMessageReachesTheHandlerOfItsPayload(Transports.Kind kind) throws Exception {
        Transports.Pair pair = Transports.open(kind);
        MultiFdConfig config = MultiFdConfig.builder().channels(3).build();
        EchoBlobs receiving = new EchoBlobs(new BlobSink(), BlobPayload.ID);
        Map<Long, Integer> lengths = new ConcurrentHashMap<>();
        Set<Integer> channels = ConcurrentHashMap.newKeySet();
        try (MultiFdReceiver receiver = receiver(config, pair, receiving); MultiFdSender sender = sender(config, pair)) {
            EchoBlobs plugin = sender.payload(EchoBlobs.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.onReturn(plugin, (channel, msg) -> {
                assertThat(msg.isReadOnly()).isTrue();
                lengths.merge(msg.getLong(0), 1, Integer::sum);
                channels.add(channel);
            });
            assertThatThrownBy(() -> sender.onReturn(plugin, (c, m) -> { }))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already has a return handler");
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            for (int i = 0; i < 60; i++) {
                c.add(i, 1, 1000 + i);
                c.flush(); // one blob per packet: one message per packet
            }
            sender.finish();
            receiver.await(Duration.ofSeconds(20));
            assertThat(receiving.path.get().available()).isTrue();
            assertThatThrownBy(() -> sender.onReturn(plugin, (ch, m) -> { })).isInstanceOf(IllegalStateException.class);
        }
        // every packet answered once, whatever channel carried the answer
        assertThat(lengths.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
        assertThat(channels).isNotEmpty().allMatch(ch -> ch >= 0 && ch < 3);
    }

    @Test
    void aSessionWithoutHandlerHasNoReturnPath() throws Exception {
        Transports.Pair pair = Transports.open(Transports.Kind.MEMORY);
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        EchoBlobs receiving = new EchoBlobs(new BlobSink(), BlobPayload.ID);
        try (MultiFdReceiver receiver = receiver(config, pair, receiving); MultiFdSender sender = sender(config, pair)) {
            EchoBlobs plugin = sender.payload(EchoBlobs.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            c.add(1, 1, 100);
            c.flush();
            sender.finish();
            receiver.await(Duration.ofSeconds(20));
        }
        assertThat(receiving.path.get()).isSameAs(ReturnPath.NONE);
        assertThatThrownBy(() -> ReturnPath.NONE.send(ByteBuffer.allocate(1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aMessageOfAPayloadWithoutHandlerFailsTheSenderNamingTheType() throws Exception {
        Transports.Pair pair = Transports.open(Transports.Kind.MEMORY);
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        EchoBlobs receiving = new EchoBlobs(new BlobSink(), 777); // tags its answers with a type nobody handles
        try (MultiFdReceiver receiver = receiver(config, pair, receiving); MultiFdSender sender = sender(config, pair)) {
            EchoBlobs plugin = sender.payload(EchoBlobs.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.onReturn(plugin, (channel, msg) -> { });
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            c.add(1, 1, 100);
            c.flush();
            Throwable t = catchThrowable(sender::finish);
            assertThat(t).isInstanceOf(MigrationFailedException.class).cause()
                    .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                        assertThat(e.code()).isEqualTo(ProtocolCode.UNKNOWN_PAYLOAD);
                        assertThat(e.field()).isEqualTo("reply.payload type");
                    });
            assertThat(catchThrowable(() -> receiver.await(Duration.ofSeconds(20)))).isInstanceOf(MigrationFailedException.class);
        }
    }

    @Test
    void aHandlerThatThrowsFailsTheMigrationWithItsCause() throws Exception {
        Transports.Pair pair = Transports.open(Transports.Kind.MEMORY);
        MultiFdConfig config = MultiFdConfig.builder().channels(1).build();
        EchoBlobs receiving = new EchoBlobs(new BlobSink(), BlobPayload.ID);
        try (MultiFdReceiver receiver = receiver(config, pair, receiving); MultiFdSender sender = sender(config, pair)) {
            EchoBlobs plugin = sender.payload(EchoBlobs.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.onReturn(plugin, (channel, msg) -> {
                throw new MalformedPacketException(ProtocolCode.MALFORMED, channel, -1, "test.kind", 9, "not a kind");
            });
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            c.add(1, 1, 100);
            c.flush();
            Throwable t = catchThrowable(sender::finish);
            assertThat(t).isInstanceOf(MigrationFailedException.class).cause()
                    .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.field()).isEqualTo("test.kind"));
            assertThat(catchThrowable(() -> receiver.await(Duration.ofSeconds(20)))).as("the receiver is told")
                    .isInstanceOf(MigrationFailedException.class);
        }
    }

    @Test
    void everyHandlerIsToldOfTheFailureOnceWithTheFirstCause() throws Exception {
        Transports.Pair pair = Transports.open(Transports.Kind.MEMORY);
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        EchoBlobs receiving = new EchoBlobs(new BlobSink(), BlobPayload.ID);
        AtomicReference<Throwable> told = new AtomicReference<>();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch toldLatch = new CountDownLatch(1);
        try (MultiFdReceiver receiver = receiver(config, pair, receiving); MultiFdSender sender = sender(config, pair)) {
            EchoBlobs plugin = sender.payload(EchoBlobs.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.onReturn(plugin, new io.multifd.api.ReturnHandler() {
                @Override
                public void onMessage(int channel, ByteBuffer message) throws IOException {
                    throw new MalformedPacketException(ProtocolCode.MALFORMED, channel, -1, "test.kind", 9, "not a kind");
                }

                @Override
                public void onSessionFailed(Throwable cause) {
                    calls.incrementAndGet();
                    told.set(cause);
                    toldLatch.countDown();
                }
            });
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            c.add(1, 1, 100);
            c.flush();
            Throwable t = catchThrowable(sender::finish);
            assertThat(t).isInstanceOf(MigrationFailedException.class);
            assertThat(toldLatch.await(20, TimeUnit.SECONDS)).as("the handler was told").isTrue();
            assertThat(told.get()).isSameAs(sender.failure().orElseThrow())
                    .isInstanceOfSatisfying(MalformedPacketException.class, e -> assertThat(e.field()).isEqualTo("test.kind"));
            catchThrowable(() -> receiver.await(Duration.ofSeconds(20)));
        }
        assertThat(calls.get()).as("told once, later errors included").isEqualTo(1);
    }
}
