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
package io.multifd.testing.contract;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.api.SendSession;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.testing.FakeDataTargets;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.FakeReceiveContext;
import io.multifd.testing.LoopbackSendSession;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The contract every payload plug-in keeps, run against one plug-in by a small subclass:
 * <ul>
 *   <li><b>byte-exact round trip</b>: the subclass's client sends its whole source through a
 *       {@link LoopbackSendSession} (the plug-in's encoder on the sending side, its receiver on
 *       the other, no sockets), and the destination's hash equals the source's; the items and raw
 *       bytes the receiver counted equal what the sender counted;</li>
 *   <li><b>refusals name the field</b>: every hostile packet header is refused by
 *       {@code begin} with a {@link MalformedPacketException} built by
 *       {@link io.multifd.api.spi.IncomingPacket#malformed} whose field is the one expected and
 *       starts with the plug-in's name; every hostile setup record is refused with a
 *       {@link SetupRefusedException} whose message names the field ({@code 'name.setup...'});</li>
 *   <li><b>nothing is written before validation succeeds</b>: a refused packet names no target
 *       and leaves the destination's hash unchanged, and so does a refused setup record;</li>
 *   <li><b>caps at the limit and at limit + 1</b>: for every cap, a packet at the limit is
 *       applied, and one over it is refused naming the cap's field, nothing written.</li>
 * </ul>
 *
 * <h2>Writing a subclass</h2>
 * JUnit makes a new instance of the test class for every test, so a subclass that makes its source
 * and destination in field initializers gives every test fresh ones. {@link #sendingPlugin()} and
 * {@link #receivingPlugin()} may be called several times per test and may return new instances,
 * but the receiving ones must all write into this instance's destination.
 * {@link #openSource(SendSession)} declares the plug-in's setup record (through the plug-in's own
 * client, a saver) and returns what sends everything once the session is connected.
 *
 * <h2>Threads</h2>
 * Each test runs on the JUnit thread; the loopback session prepares and applies every packet on
 * the thread that calls {@code send}. A plug-in's own threads (loaders) run as under the core and
 * must have ended when its receiver's {@code close} returns.
 *
 * @param <B> the plug-in's body type
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class AbstractPayloadPluginContractTest<B> {

    /** The stream offset hostile packets claim: {@code malformed} must report it. */
    protected static final long HOSTILE_STREAM_OFFSET = 4096;

    /**
     * A hostile packet and the field its refusal must name.
     *
     * @param description what is wrong, for messages
     * @param header      the payload header bytes (position to limit)
     * @param rawLength   the data length the packet announces
     * @param field       the field {@link MalformedPacketException#field()} must name
     */
    public record HostilePacket(String description, ByteBuffer header, int rawLength, String field) {
    }

    /**
     * A hostile setup record and the field its refusal must name.
     *
     * @param description what is wrong, for messages
     * @param record      the record bytes (position to limit)
     * @param field       the field the {@link SetupRefusedException}'s message must name, in quotes
     */
    public record HostileSetupRecord(String description, ByteBuffer record, String field) {
    }

    /**
     * One packet: payload header and data.
     *
     * @param header the payload header bytes (position to limit)
     * @param data   the data after decoding
     */
    public record PacketBytes(ByteBuffer header, byte[] data) {
    }

    /**
     * A cap a receiver enforces on packets: at {@code limit} a packet is applied, at
     * {@code limit + 1} it is refused naming {@code field}.
     *
     * @param field      the field the refusal names
     * @param limit      the largest accepted value
     * @param packetWith makes a packet whose capped value is the argument, valid in every other way
     *                   against the source's setup record
     */
    public record PacketCap(String field, long limit, LongFunction<PacketBytes> packetWith) {
    }

    /** Sends the whole source through the session it was opened with. */
    @FunctionalInterface
    public interface SourceClient {
        /**
         * Called once, on the test thread, after the session connected.
         *
         * @throws Exception if sending fails (the test fails)
         */
        void sendAll() throws Exception;
    }

    /** Makes the test; subclasses make their source and destination. */
    protected AbstractPayloadPluginContractTest() {
    }

    /**
     * The configuration both sides use. Default: three channels, default caps.
     *
     * @return the configuration
     */
    protected MultiFdConfig config() {
        return MultiFdConfig.builder().channels(3).build();
    }

    /**
     * How long the round trip may wait for the receiving side's {@code finish}.
     *
     * @return the timeout; default 30 seconds
     */
    protected Duration finishTimeout() {
        return Duration.ofSeconds(30);
    }

    /**
     * The instance that sends: the one clients fill slots with.
     *
     * @return the sending plug-in
     */
    protected abstract PayloadPlugin<B> sendingPlugin();

    /**
     * An instance that receives into this test's destination (may be the sending one).
     *
     * @return the receiving plug-in
     */
    protected abstract PayloadPlugin<?> receivingPlugin();

    /**
     * Opens the plug-in's client on {@code session}: it declares its setup record now and sends
     * the whole source when the returned client runs.
     *
     * @param session a session with {@link #sendingPlugin()} registered, not yet connected
     * @return what sends the source
     * @throws Exception if the client cannot be opened (the test fails)
     */
    protected abstract SourceClient openSource(SendSession session) throws Exception;

    /**
     * The hash of the source, for example with {@link io.multifd.testing.Hashes}.
     *
     * @return the hash
     * @throws Exception if it cannot be computed
     */
    protected abstract String sourceHash() throws Exception;

    /**
     * The hash of the destination as it is now (called before and after packets are applied).
     *
     * @return the hash
     * @throws Exception if it cannot be computed
     */
    protected abstract String destinationHash() throws Exception;

    /**
     * Packet headers the receiver must refuse, valid against the source's setup record except for
     * the field each names. At least one.
     *
     * @return the hostile packets
     */
    protected abstract List<HostilePacket> hostilePackets();

    /**
     * Setup records the receiver must refuse. At least one.
     *
     * @return the hostile records
     */
    protected abstract List<HostileSetupRecord> hostileSetupRecords();

    /**
     * The caps the receiver enforces on packets. At least one.
     *
     * @return the caps
     */
    protected abstract List<PacketCap> packetCaps();

    /** Sends the whole source through a loopback session; the destination ends equal to it. */
    @Test
    public void roundTripIsByteExact() throws Exception {
        PayloadPlugin<B> sending = sendingPlugin();
        PayloadStats sent;
        PayloadStats received;
        try (LoopbackSendSession session = new LoopbackSendSession(config()).register(sending, receivingPlugin())) {
            SourceClient client = openSource(session);
            assertThat(session.declared(sending)).as("the client declares a setup record before connect").isPresent();
            session.connect();
            client.sendAll();
            session.finish(finishTimeout());
            assertThat(session.violations()).as("slot ownership").isEmpty();
            assertThat(session.receiveContext().failure()).as("failure reported by the plug-in").isNull();
            sent = session.stats().payload(sending.name()).orElseThrow();
            received = session.receivedStats(sending);
        }
        assertThat(sent.packets()).as("packets sent").isPositive();
        assertThat(received.packets()).as("packets applied").isEqualTo(sent.packets());
        assertThat(received.rawBytes()).as("raw bytes applied").isEqualTo(sent.rawBytes());
        assertThat(received.items()).as("items the receiver counted").isEqualTo(sent.items());
        assertThat(received.elidedItems()).as("elided items the receiver counted").isEqualTo(sent.elidedItems());
        assertThat(destinationHash()).as("destination hash").isEqualTo(sourceHash());
    }

    /** Each hostile packet is refused by {@code begin} naming its field; nothing is written. */
    @TestFactory
    public Stream<DynamicTest> hostilePacketsAreRefusedNamingTheFieldBeforeAnythingIsWritten() throws Exception {
        List<HostilePacket> packets = hostilePackets();
        assertThat(packets).as("hostilePackets()").isNotEmpty();
        ByteBuffer record = validSetupRecord();
        return packets.stream().map(h -> DynamicTest.dynamicTest(h.description(), () -> {
            String before = destinationHash();
            refused(record, h.header(), h.rawLength(), h.field(), h.description());
            assertThat(destinationHash()).as("%s: destination unchanged", h.description()).isEqualTo(before);
        }));
    }

    /** Each hostile setup record is refused naming its field; nothing is written. */
    @TestFactory
    public Stream<DynamicTest> hostileSetupRecordsAreRefusedNamingTheField() {
        List<HostileSetupRecord> records = hostileSetupRecords();
        assertThat(records).as("hostileSetupRecords()").isNotEmpty();
        String name = sendingPlugin().name();
        return records.stream().map(h -> DynamicTest.dynamicTest(h.description(), () -> {
            String before = destinationHash();
            FakeReceiveContext context = new FakeReceiveContext(config());
            SetupRefusedException e = catchThrowableOfType(SetupRefusedException.class,
                    () -> receivingPlugin().openReceiver(context, h.record().duplicate()).close());
            assertThat(e).as("%s: refused with a SetupRefusedException", h.description()).isNotNull();
            assertThat(h.field()).as("the field is prefixed by the payload's name").startsWith(name + ".");
            assertThat(e.getMessage()).as(h.description()).contains("'" + h.field() + "'");
            assertThat(destinationHash()).as("%s: destination unchanged", h.description()).isEqualTo(before);
        }));
    }

    /** Each cap: a packet at the limit is applied; one over it is refused naming the field, nothing written. */
    @TestFactory
    public Stream<DynamicTest> capsHoldAtTheLimitAndRefuseOneMore() throws Exception {
        List<PacketCap> caps = packetCaps();
        assertThat(caps).as("packetCaps()").isNotEmpty();
        ByteBuffer record = validSetupRecord();
        return caps.stream().map(cap -> DynamicTest.dynamicTest(cap.field() + " at " + cap.limit(), () -> {
            PayloadReceiver receiver = receivingPlugin().openReceiver(new FakeReceiveContext(config()),
                    record.duplicate());
            try {
                PayloadChannelReceiver channel = receiver.openChannel(0);
                PacketBytes atLimit = cap.packetWith().apply(cap.limit());
                FakeDataTargets applied = FakeDataTargets.deliver(channel,
                        new FakeIncomingPacket(0).header(atLimit.header()), atLimit.data());
                assertThat(applied.targets()).as("%s = %d: targets named", cap.field(), cap.limit()).isNotEmpty();
                channel.close();
            } finally {
                receiver.close();
            }
            PacketBytes over = cap.packetWith().apply(cap.limit() + 1);
            String before = destinationHash();
            refused(record, over.header(), over.data().length, cap.field(), cap.field() + " = " + (cap.limit() + 1));
            assertThat(destinationHash()).as("%s over the limit: destination unchanged", cap.field()).isEqualTo(before);
        }));
    }

    /**
     * The setup record the plug-in's client declares for this test's source.
     *
     * @return a read-only copy
     * @throws Exception if the client cannot be opened
     */
    protected ByteBuffer validSetupRecord() throws Exception {
        PayloadPlugin<B> sending = sendingPlugin();
        try (LoopbackSendSession session = new LoopbackSendSession(config()).register(sending)) {
            openSource(session);
            return session.declared(sending).orElseThrow(
                    () -> new AssertionError("openSource(session) declared no setup record"));
        }
    }

    private void refused(ByteBuffer record, ByteBuffer header, int rawLength, String field, String what)
            throws Exception {
        String name = sendingPlugin().name();
        PayloadReceiver receiver = receivingPlugin().openReceiver(new FakeReceiveContext(config()), record.duplicate());
        try {
            PayloadChannelReceiver channel = receiver.openChannel(0);
            FakeIncomingPacket packet = new FakeIncomingPacket(0).header(header.duplicate()).rawLength(rawLength)
                    .streamOffset(HOSTILE_STREAM_OFFSET);
            FakeDataTargets targets = new FakeDataTargets();
            MalformedPacketException e = catchThrowableOfType(MalformedPacketException.class,
                    () -> channel.begin(packet, targets));
            assertThat(e).as("%s: refused with a MalformedPacketException", what).isNotNull();
            assertThat(e.field()).as("%s: the field named", what).isEqualTo(field);
            assertThat(e.field()).as("the field is prefixed by the payload's name").startsWith(name + ".");
            assertThat(e.channel()).as("%s: built with packet.malformed(..) (channel)", what).isZero();
            assertThat(e.streamOffset()).as("%s: built with packet.malformed(..) (stream offset)", what)
                    .isEqualTo(HOSTILE_STREAM_OFFSET);
            assertThat(targets.targets()).as("%s: no target named for a refused packet", what).isEmpty();
            channel.close();
        } finally {
            receiver.close();
        }
    }
}
