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
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.core.testkit.ForwardingOutgoingPacket;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.transport.TcpTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A plug-in's encoder that breaks the SPI's rules fails the migration at once on both ends, and
 * both name what it did: no spinning until the I/O timeout on a short stream, no "null" for an
 * exception without a message, no header overflow blamed for an overflow of its own.
 */
@Timeout(30) // the I/O timeout is 60 s: a migration that waits for it fails the test
class MisbehavingEncoderTest {

    /** What the encoder does wrong after (or instead of) the blob encoder's work. */
    enum Misdeed {
        /** Moves its first data buffer's position after adding it: the stream would be one byte short. */
        MOVES_A_BUFFER("the packet's data buffers hold", "position or limit changed after addData"),
        /** Throws an exception without a message. */
        THROWS_WITHOUT_A_MESSAGE("NullPointerException", "NullPointerException"),
        /** Overflows a buffer of its own. */
        OVERFLOWS_ITS_OWN_BUFFER("or it overflowed a buffer of its own", "or it overflowed a buffer of its own");

        final String sender;
        final String receiver;

        Misdeed(String sender, String receiver) {
            this.sender = sender;
            this.receiver = receiver;
        }
    }

    /** The blob payload with an encoder that commits {@code misdeed}. */
    static final class Misbehaving extends BlobPayload {
        private final Misdeed misdeed;

        Misbehaving(Misdeed misdeed) {
            this.misdeed = misdeed;
        }

        Misbehaving(BlobSink sink) {
            super(sink);
            this.misdeed = null;
        }

        @Override
        public PayloadEncoder<Body> newEncoder(SendChannelContext context) {
            PayloadEncoder<Body> plain = super.newEncoder(context);
            return (body, packet) -> {
                ByteBuffer[] first = new ByteBuffer[1];
                plain.prepare(body, new ForwardingOutgoingPacket(packet) {
                    @Override
                    public void addData(ByteBuffer data) {
                        if (first[0] == null) {
                            first[0] = data;
                        }
                        packet.addData(data);
                    }
                });
                switch (misdeed) {
                    case MOVES_A_BUFFER -> first[0].position(first[0].position() + 1);
                    case THROWS_WITHOUT_A_MESSAGE -> throw new NullPointerException();
                    case OVERFLOWS_ITS_OWN_BUFFER -> ByteBuffer.allocate(2).putInt(1);
                    default -> throw new AssertionError(misdeed);
                }
            };
        }
    }

    @AfterEach
    void noThreadsLeft() throws InterruptedException {
        assertThat(Threads.awaitNone(10)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Misdeed.class)
    void bothEndsFailAtOnceNamingWhatTheEncoderDid(Misdeed misdeed) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(1).ioTimeout(Duration.ofSeconds(60)).build();
        BlobSink sink = new BlobSink();
        MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener())
                .registry(PluginRegistry.builder().build()).payload(new Misbehaving(sink)).build().start();
        try (MultiFdSender sender = MultiFdSender.builder(config, t.connector())
                .registry(PluginRegistry.builder().build()).payload(new Misbehaving(misdeed)).build();
             receiver) {
            Misbehaving plugin = sender.payload(Misbehaving.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            c.add(1, 1, 4000);
            Throwable sent = catchThrowable(() -> {
                c.flush();
                sender.finish();
            });
            Throwable received = catchThrowable(() -> receiver.await(Duration.ofSeconds(20)));
            assertThat(sent).isInstanceOf(MigrationFailedException.class);
            assertThat(describe(sent)).contains(misdeed.sender).doesNotContain(": null");
            assertThat(received).isInstanceOf(MigrationFailedException.class);
            assertThat(describe(received)).as("the receiver is told why").contains(misdeed.receiver)
                    .doesNotContain(": null").doesNotContain("no progress");
            assertThat(sink.applied()).isEmpty();
        }
    }

    /** A receiving plug-in whose openChannel fails for every channel after the first. */
    static final class FailsToOpen extends BlobPayload {
        FailsToOpen() {
        }

        FailsToOpen(BlobSink sink) {
            super(sink);
        }

        @Override
        public io.multifd.api.spi.PayloadReceiver openReceiver(io.multifd.api.spi.ReceiveContext context,
                                                               ByteBuffer setupRecord)
                throws io.multifd.api.SetupRefusedException {
            io.multifd.api.spi.PayloadReceiver real = super.openReceiver(context, setupRecord);
            return channelId -> {
                if (channelId > 0) {
                    throw new java.io.IOException("blob openChannel failed for channel " + channelId);
                }
                return real.openChannel(channelId);
            };
        }
    }

    /**
     * A receiving plug-in that fails while the sender's channels are still connecting: the sender
     * reports the receiver's reason, at once, not a connect failure after its connect timeout.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {2, 4})
    void aReceiverPluginFailingDuringTheHandshakeIsWhatTheSenderReports(int channels) throws Exception {
        for (int run = 0; run < 2; run++) { // the failure came from a channel still connecting in 3 of 4 runs
            TcpTransport.Listener l = TcpTransport.listen(new java.net.InetSocketAddress(
                    java.net.InetAddress.getLoopbackAddress(), 0));
            MultiFdConfig config = MultiFdConfig.builder().channels(channels).connectTimeout(Duration.ofSeconds(20))
                    .build();
            MultiFdReceiver receiver = MultiFdReceiver.builder(config, l).registry(PluginRegistry.builder().build())
                    .payload(new FailsToOpen(new BlobSink())).build().start();
            try (MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(l.localAddress()))
                    .registry(PluginRegistry.builder().build()).payload(new FailsToOpen()).build();
                 receiver) {
                BlobClient.declare(sender, sender.payload(FailsToOpen.class).orElseThrow());
                long t0 = System.nanoTime();
                Throwable sent = catchThrowable(() -> {
                    sender.connect();
                    sender.finish();
                });
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(describe(sent)).as("run %d after %d ms", run, ms).contains("blob openChannel failed");
            }
        }
    }

    /** The messages of the chain, so that the assertion does not depend on which level says it. */
    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable x = t; x != null; x = x.getCause()) {
            sb.append(x.getMessage()).append(" / ");
        }
        return sb.toString();
    }
}
