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
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.testing.transport.FaultLink;
import io.multifd.core.testkit.ForwardingOutgoingPacket;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * One bit flipped in a raw data packet on the wire. Stable data (added with
 * {@link OutgoingPacket#addStableData}) carries the data checksum by default, so the receiver
 * refuses the packet; live data (RAM pages) is covered only with {@link DataChecksum#ALL}, and
 * without it the flip lands in memory unnoticed: the case the default trades for speed (design
 * record 0013). Uncompressed blobs, one packet of 4000 bytes, the flip in its last data byte.
 */
class DataChecksumTest {

    @AfterEach
    void noThreadsLeft() throws InterruptedException {
        assertThat(Threads.awaitNone(5)).isEmpty();
    }

    /** The blob payload, adding its data as stable. */
    static final class StableBlobs extends BlobPayload {
        StableBlobs() {
        }

        StableBlobs(BlobSink sink) {
            super(sink);
        }

        @Override
        public PayloadEncoder<Body> newEncoder(SendChannelContext context) {
            PayloadEncoder<Body> plain = super.newEncoder(context);
            return (body, packet) -> plain.prepare(body, new ForwardingOutgoingPacket(packet) {
                @Override
                public void addData(ByteBuffer data) {
                    packet.addStableData(data);
                }
            });
        }
    }

    @ParameterizedTest(name = "{0} data, checksum {1}: detected {2}")
    @CsvSource({"stable, ENCODED, true", "stable, ALL, true", "stable, OFF, false",
            "live, ENCODED, false", "live, ALL, true", "live, OFF, false"})
    void aFlippedBitIsCaughtWhereTheDataIsChecksummed(String data, DataChecksum checksum, boolean detected)
            throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        FaultLink link = new FaultLink(new FaultLink.Fault(FaultLink.Side.SENDER, 0, Long.MAX_VALUE, FaultLink.Kind.CORRUPT));
        MultiFdConfig config = MultiFdConfig.builder().channels(1).dataChecksum(checksum).build();
        boolean stable = data.equals("stable");
        BlobSink sink = new BlobSink();
        MultiFdReceiver receiver = MultiFdReceiver.builder(config, link.listener(t.listener()))
                .registry(PluginRegistry.builder().build())
                .payload(stable ? new StableBlobs(sink) : new BlobPayload(sink)).build().start();
        try (MultiFdSender sender = MultiFdSender.builder(config, link.connector(t.connector()))
                .registry(PluginRegistry.builder().build()).payload(stable ? new StableBlobs() : new BlobPayload()).build();
             receiver) {
            BlobPayload plugin = stable ? sender.payload(StableBlobs.class).orElseThrow()
                    : sender.payload(BlobPayload.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.connect();
            link.trigger(); // the next write, the blob packet, gets its last byte flipped
            BlobClient c = new BlobClient(sender, plugin);
            c.add(1, 1, 4000);
            c.flush();
            Throwable sent = catchThrowable(sender::finish);
            Throwable received = catchThrowable(() -> receiver.await(Duration.ofSeconds(20)));
            assertThat(link.fired()).isTrue();
            if (detected) {
                assertThat(sent).isInstanceOf(MigrationFailedException.class);
                assertThat(received).isInstanceOf(MigrationFailedException.class).cause()
                        .isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                            assertThat(e.code()).isEqualTo(ProtocolCode.BAD_CRC);
                            assertThat(e.field()).isEqualTo("packet.data crc");
                        });
                assertThat(sink.applied()).isEmpty();
            } else {
                assertThat(sent).as("nothing noticed the flip").isNull();
                assertThat(received).isNull();
                assertThat(sink.corrupt()).as("blobs applied with a wrong byte").isEqualTo(1);
            }
        }
    }
}
