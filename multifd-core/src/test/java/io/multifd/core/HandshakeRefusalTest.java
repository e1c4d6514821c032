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

import io.multifd.core.wire.Hello;

import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SessionId;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.core.testkit.RawClient;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile or broken senders are refused with the field named: the hand-driven channel reads a
 * HELLO_REFUSE (or the manifest refusal) naming the field. A connection refused at its hello is
 * dropped (logged once, the receiver goes on accepting); once a channel is in, a refusal fails the
 * receiver's {@code await()} with a {@link MalformedPacketException} carrying the same field. Nothing
 * reaches a payload plug-in.
 */
@Timeout(30)
class HandshakeRefusalTest {

    private static final SessionId A = new SessionId(1, 1);
    private static final SessionId B = new SessionId(2, 2);

    private final InMemoryTransport transport = InMemoryTransport.create();
    private final BlobSink sink = new BlobSink();
    private final MultiFdConfig config = MultiFdConfig.builder().maxChannels(4).handshakeTimeout(Duration.ofSeconds(2))
            .ioTimeout(Duration.ofSeconds(2)).maxPacketDataLength(1 << 20).build();
    private MultiFdReceiver receiver;
    private CapturedLogs logs;

    @BeforeEach
    void captureLogs(CapturedLogs logs) {
        this.logs = logs;
    }

    private MultiFdReceiver receiver() {
        receiver = MultiFdReceiver.builder(config, transport.listener())
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink)).build().start();
        return receiver;
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        if (receiver != null) {
            receiver.close();
        }
        assertThat(Threads.awaitNone(5)).isEmpty();
        assertThat(sink.packets()).as("packets that reached the payload plug-in").isZero();
    }

    private void expectReceiverFailure(ProtocolCode code, String field) throws InterruptedException {
        assertThatThrownBy(() -> receiver.await(Duration.ofSeconds(10)))
                .isInstanceOf(MigrationFailedException.class)
                .cause().isInstanceOfSatisfying(MalformedPacketException.class, e -> {
                    assertThat(e.code()).isEqualTo(code);
                    assertThat(e.field()).isEqualTo(field);
                });
        // the operator's view: the failure is logged once, naming the field
        assertThat(logs.awaitLogged(System.Logger.Level.WARNING, "field '" + field + "'", Duration.ofSeconds(10)).message())
                .contains(" failed: ");
    }

    /**
     * A connection refused before it proved itself is dropped: logged once, naming the field, and
     * the receiver goes on accepting (it did not fail: a failure comes before the drop is logged).
     */
    private void expectDropped(ProtocolCode code, String field) throws InterruptedException {
        expectDropped(code, field, 1);
    }

    /** As above, for {@code connections} connections refused alike, each logged once. */
    private void expectDropped(ProtocolCode code, String field, int connections) throws InterruptedException {
        String needle = "field '" + field + "'";
        assertThat(logs.awaitLogged(System.Logger.Level.WARNING, needle, Duration.ofSeconds(10)).message())
                .startsWith("dropped connection ").contains(code.name());
        for (int i = 0; connections > 1 && i < connections; i++) { // each names the channel it claimed
            logs.awaitLogged(System.Logger.Level.WARNING, "(channel " + i + ", receiver side): ", Duration.ofSeconds(10));
        }
        assertThat(logs.records(System.Logger.Level.WARNING))
                .filteredOn(e -> e.message().startsWith("dropped connection ") && e.message().contains(needle))
                .hasSize(connections);
        assertThat(receiver.awaitAsync()).as("the receiver goes on accepting").isNotDone();
    }

    private static void expectRefusal(Reply r, int kind, ProtocolCode code, String field) {
        assertThat(r).as("reply").isNotNull();
        assertThat(r.kind()).as("reply kind").isEqualTo(kind);
        assertThat(r.code()).isEqualTo(code);
        assertThat(r.message()).contains("'" + field + "'");
    }

    @Test
    void aBadMagicIsRefused() throws Exception {
        receiver();
        try (RawClient c = RawClient.connect(transport.connector(), 0)) {
            c.write("GET / HTTP/1.1\r\nHost: example\r\n\r\n_padding_".getBytes());
            expectRefusal(c.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.BAD_MAGIC, "hello.magic");
        }
        expectDropped(ProtocolCode.BAD_MAGIC, "hello.magic");
    }

    @Test
    void aWrongSessionIdOnALaterChannelIsRefused() throws Exception {
        receiver();
        try (RawClient c0 = RawClient.connect(transport.connector(), 0);
             RawClient c1 = RawClient.connect(transport.connector(), 1)) {
            c0.hello(A, 0, 2, 0, "");
            assertThat(c0.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
            c1.hello(B, 1, 2, 0, "");
            expectRefusal(c1.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.SESSION_MISMATCH, "hello.session id");
            expectDropped(ProtocolCode.SESSION_MISMATCH, "hello.session id"); // while channel 0 is still open
            try (RawClient c2 = RawClient.connect(transport.connector(), 1)) {
                c2.hello(A, 1, 2, 0, "");
                assertThat(c2.reply().kind()).as("the real channel 1, after the stray").isEqualTo(Wire.REPLY_HELLO_ACCEPT);
            }
        }
    }

    @Test
    void aDuplicateChannelIdIsRefused() throws Exception {
        receiver();
        try (RawClient c0 = RawClient.connect(transport.connector(), 0);
             RawClient c1 = RawClient.connect(transport.connector(), 1)) {
            c0.hello(A, 0, 2, 0, "");
            assertThat(c0.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
            c1.hello(A, 0, 2, 0, "");
            expectRefusal(c1.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.DUPLICATE_CHANNEL, "hello.channel id");
            expectDropped(ProtocolCode.DUPLICATE_CHANNEL, "hello.channel id"); // while channel 0 is still open
        }
    }

    @Test
    void anOutOfRangeChannelIdIsRefused() throws Exception {
        receiver();
        try (RawClient c = RawClient.connect(transport.connector(), 0)) {
            c.hello(A, 2, 2, 0, "");
            expectRefusal(c.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.CHANNEL_ID_OUT_OF_RANGE, "hello.channel id");
        }
        expectDropped(ProtocolCode.CHANNEL_ID_OUT_OF_RANGE, "hello.channel id");
    }

    @Test
    void aChannelCountOverTheReceiversLimitIsRefused() throws Exception {
        receiver();
        try (RawClient c = RawClient.connect(transport.connector(), 0)) {
            c.hello(A, 0, 5, 0, "");
            expectRefusal(c.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.CHANNEL_COUNT, "hello.channel count");
        }
        expectDropped(ProtocolCode.CHANNEL_COUNT, "hello.channel count");
    }

    @Test
    void anUnknownCodecIsRefused() throws Exception {
        receiver();
        try (RawClient c = RawClient.connect(transport.connector(), 0)) {
            c.hello(A, 0, 1, 999, "");
            expectRefusal(c.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.UNKNOWN_CODEC, "hello.codec id");
        }
        expectDropped(ProtocolCode.UNKNOWN_CODEC, "hello.codec id");
    }

    @Test
    void codecParametersTheCodecRefusesAreRefused() throws Exception {
        receiver();
        try (RawClient c = RawClient.connect(transport.connector(), 0)) {
            c.hello(A, 0, 1, 0, "level=3");
            expectRefusal(c.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters");
        }
        expectDropped(ProtocolCode.CODEC_PARAMETERS, "hello.codec parameters");
    }

    @Test
    void aHelloWithABadCrcIsRefused() throws Exception {
        receiver();
        ByteBuffer hello = new io.multifd.core.wire.Hello(1, 1, A, 0, 1, 0, "", 0, 1 << 20).encode();
        hello.put(hello.limit() - 1, (byte) (hello.get(hello.limit() - 1) ^ 0x40));
        try (RawClient c = RawClient.connect(transport.connector(), 0)) {
            c.write(hello);
            expectRefusal(c.reply(), Wire.REPLY_HELLO_REFUSE, ProtocolCode.BAD_CRC, "hello.crc");
        }
        expectDropped(ProtocolCode.BAD_CRC, "hello.crc");
    }

    /** A valid handshake for one channel, then whatever the test writes. */
    private RawClient handshaken() throws Exception {
        RawClient c = RawClient.connect(transport.connector(), 0);
        c.hello(A, 0, 1, 0, "");
        assertThat(c.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
        c.manifest(List.of(new Manifest.Record(BlobPayload.ID, new byte[0])));
        assertThat(c.reply().kind()).isEqualTo(Wire.REPLY_MANIFEST_ACCEPT);
        return c;
    }

    @Test
    void aPacketHeaderWithABadCrcIsRefused() throws Exception {
        receiver();
        try (RawClient c = handshaken()) {
            c.packet(RawClient.blobHeader(0, 0), new byte[] {0, 0, 0, 0}, new byte[0], true);
            Reply r = c.reply();
            expectRefusal(r, Wire.REPLY_ERROR, ProtocolCode.BAD_CRC, "packet.header crc");
            // hello (44 bytes) + manifest with one empty record (12 + 8 + 4): the packet starts at 68
            assertThat(r.message()).startsWith("channel 0, stream offset 68,");
        }
        expectReceiverFailure(ProtocolCode.BAD_CRC, "packet.header crc");
    }

    @Test
    void anOversizedRawLengthIsRefusedBeforeReading() throws Exception {
        receiver();
        try (RawClient c = handshaken()) {
            c.packet(RawClient.blobHeader(0, (1 << 20) + 1), new byte[] {0, 0, 0, 0}, new byte[0], false);
            expectRefusal(c.reply(), Wire.REPLY_ERROR, ProtocolCode.LENGTH, "packet.raw length");
        }
        expectReceiverFailure(ProtocolCode.LENGTH, "packet.raw length");
    }

    @Test
    void anUnsignedHugeLengthIsRefusedBeforeReading() throws Exception {
        receiver();
        try (RawClient c = handshaken()) {
            PacketHeader h = RawClient.blobHeader(0, 0xFFFF_FFFFL);
            c.packet(h, new byte[0], new byte[0], false);
            Reply r = c.reply();
            expectRefusal(r, Wire.REPLY_ERROR, ProtocolCode.LENGTH, "packet.raw length");
            assertThat(r.message()).contains("4294967295");
        }
        expectReceiverFailure(ProtocolCode.LENGTH, "packet.raw length");
    }

    @Test
    void anOversizedPayloadHeaderLengthIsRefused() throws Exception {
        receiver();
        try (RawClient c = handshaken()) {
            PacketHeader h = RawClient.blobHeader(0, 0);
            h.headerLength = 1 << 30;
            ByteBuffer hb = ByteBuffer.allocate(48);
            h.encode(hb);
            c.write(hb);
            expectRefusal(c.reply(), Wire.REPLY_ERROR, ProtocolCode.LENGTH, "packet.payload header length");
        }
        expectReceiverFailure(ProtocolCode.LENGTH, "packet.payload header length");
    }

    @Test
    void aSequenceGapIsRefused() throws Exception {
        receiver();
        try (RawClient c = handshaken()) {
            c.packet(RawClient.blobHeader(3, 0), new byte[] {0, 0, 0, 0}, new byte[0], false);
            expectRefusal(c.reply(), Wire.REPLY_ERROR, ProtocolCode.MALFORMED, "packet.sequence");
        }
        expectReceiverFailure(ProtocolCode.MALFORMED, "packet.sequence");
    }

    @Test
    void anUndeclaredPayloadTypeIsRefused() throws Exception {
        receiver();
        try (RawClient c = handshaken()) {
            PacketHeader h = RawClient.blobHeader(0, 0);
            h.typeId = 4242;
            c.packet(h, new byte[0], new byte[0], false);
            expectRefusal(c.reply(), Wire.REPLY_ERROR, ProtocolCode.UNKNOWN_PAYLOAD, "packet.payload type");
        }
        expectReceiverFailure(ProtocolCode.UNKNOWN_PAYLOAD, "packet.payload type");
    }

    @Test
    void encodedDataUnderCodecNoneIsRefused() throws Exception {
        receiver();
        try (RawClient c = handshaken()) {
            PacketHeader h = RawClient.blobHeader(0, 100);
            h.flags = 0;
            h.encodedLength = 50;
            c.packet(h, new byte[] {0, 0, 0, 0}, new byte[50], false);
            expectRefusal(c.reply(), Wire.REPLY_ERROR, ProtocolCode.MALFORMED, "packet.flags");
        }
        expectReceiverFailure(ProtocolCode.MALFORMED, "packet.flags");
    }

    @Test
    void aManifestNamingAnUnknownPayloadIsRefused() throws Exception {
        receiver();
        try (RawClient c = RawClient.connect(transport.connector(), 0)) {
            c.hello(A, 0, 1, 0, "");
            assertThat(c.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
            c.manifest(List.of(new Manifest.Record(777, new byte[0])));
            expectRefusal(c.reply(), Wire.REPLY_MANIFEST_REFUSE, ProtocolCode.UNKNOWN_PAYLOAD, "manifest.payload type");
        }
        expectReceiverFailure(ProtocolCode.UNKNOWN_PAYLOAD, "manifest.payload type");
    }

    @Test
    void theRealSenderReportsARefusalWithTheField() throws Exception {
        receiver();
        MultiFdConfig senderConfig = MultiFdConfig.builder().channels(6).build();
        try (MultiFdSender sender = MultiFdSender.builder(senderConfig, transport.connector())
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
            BlobClient.declare(sender, sender.payload(BlobPayload.class).orElseThrow());
            assertThatThrownBy(sender::connect)
                    .isInstanceOf(MigrationFailedException.class)
                    .cause().isInstanceOfSatisfying(HandshakeRefusedException.class, e -> {
                        assertThat(e.code()).isEqualTo(ProtocolCode.CHANNEL_COUNT);
                        assertThat(e.getMessage()).contains("'hello.channel count' = 6");
                    });
        }
        expectDropped(ProtocolCode.CHANNEL_COUNT, "hello.channel count", 6);
    }

    @Test
    void aPluginThatRefusesItsSetupRecordFailsConnect() throws Exception {
        BlobPayload refusing = new BlobPayload(sink) {
            @Override
            public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
                throw new SetupRefusedException("blob.version: " + setupRecord.get(0) + " is not supported");
            }
        };
        receiver = MultiFdReceiver.builder(config, transport.listener()).registry(PluginRegistry.builder().build())
                .payload(refusing).build().start();
        try (MultiFdSender sender = MultiFdSender.builder(MultiFdConfig.builder().channels(2).maxPacketDataLength(1 << 20).build(), transport.connector())
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
            BlobClient.declare(sender, sender.payload(BlobPayload.class).orElseThrow());
            assertThatThrownBy(sender::connect)
                    .isInstanceOf(MigrationFailedException.class)
                    .cause().isInstanceOfSatisfying(HandshakeRefusedException.class, e -> {
                        assertThat(e.code()).isEqualTo(ProtocolCode.SETUP_REFUSED);
                        assertThat(e.getMessage()).contains("blob.version: 1 is not supported");
                    });
        }
        assertThatThrownBy(() -> receiver.await(Duration.ofSeconds(10)))
                .isInstanceOf(MigrationFailedException.class)
                .cause().isInstanceOf(SetupRefusedException.class);
        logs.awaitLogged(System.Logger.Level.WARNING,
                "failed: the receiver refused the manifest: blob: blob.version: 1 is not supported", Duration.ofSeconds(10));
    }
}
