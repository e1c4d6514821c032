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
package io.multifd.ram;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.testing.FakeDataTargets;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.FakeReceiveContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Post-copy packets and return-path messages from a hostile peer: each is refused naming the
 * field, before anything is written or marked.
 */
@Timeout(30)
class PostcopyHostileTest {

    static final int PS = 4096;
    static final long LEN = 130 * PS; // 3 bitmap words, the last one partial
    static final byte[] NAME = "pc.ram".getBytes(StandardCharsets.UTF_8);

    RamBlock dst;
    PostcopyAccess access;
    PayloadReceiver receiver;
    PayloadChannelReceiver rx;
    final List<byte[]> returned = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        dst = RamBlock.allocate("pc.ram", LEN, PS);
        access = new PostcopyAccess();
        ByteBuffer record = RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES, List.of(RamBlock.allocate("pc.ram", LEN, PS)))
                .withPostcopy().encode();
        receiver = RamPayload.builder().destination(RamDestination.of(dst)).postcopy(access).requireEveryPage(false).build()
                .openReceiver(ReturnPathContexts.recording(RamPayloadTest.CONFIG, returned), record);
        rx = receiver.openChannel(0);
    }

    static ByteBuffer header(int flags, long entries, long zero, long... values) {
        ByteBuffer h = ByteBuffer.allocate(12 + NAME.length + 8 * values.length);
        h.put((byte) 1).put((byte) flags).putShort((short) NAME.length).putInt((int) entries).putInt((int) zero).put(NAME);
        for (long v : values) {
            h.putLong(v);
        }
        return h.flip();
    }

    static ByteBuffer map(long firstWord, long... words) {
        long[] v = new long[words.length + 1];
        v[0] = firstWord;
        System.arraycopy(words, 0, v, 1, words.length);
        return header(RamPayload.FLAG_MISSING, v.length, 0, v);
    }

    void apply(ByteBuffer header, byte[] data) throws IOException {
        apply(0, header, data);
    }

    /** Applies a packet of the given epoch (the sender syncs between its maps and the release). */
    void apply(long epoch, ByteBuffer header, byte[] data) throws IOException {
        FakeIncomingPacket in = new FakeIncomingPacket(0).epoch(epoch).header(header);
        FakeDataTargets.deliver(rx, in, data);
    }

    static ByteBuffer release() {
        return header(RamPayload.FLAG_RELEASE, 0, 0);
    }

    void refused(ByteBuffer header, int rawLength, String field, String reasonPart) {
        refused(0, header, rawLength, field, reasonPart);
    }

    void refused(long epoch, ByteBuffer header, int rawLength, String field, String reasonPart) {
        FakeIncomingPacket in = new FakeIncomingPacket(2).epoch(epoch).header(header).rawLength(rawLength);
        FakeDataTargets t = new FakeDataTargets();
        assertThatThrownBy(() -> rx.begin(in, t)).isInstanceOfSatisfying(MalformedPacketException.class,
                e -> assertThat(e.field()).isEqualTo(field)).hasMessageContaining(reasonPart);
        assertThat(t.targets()).as("no target named").isEmpty();
    }

    @Test
    void mapsReleaseAndPagesWorkInOrder() throws Exception {
        apply(map(0, 0b101L), new byte[0]); // pages 0 and 2 missing
        assertThat(access.missingPages()).isEqualTo(2);
        assertThat(access.isPresent(dst, 0)).isFalse();
        assertThat(access.isPresent(dst, PS)).isTrue();
        apply(1, release(), new byte[0]);
        assertThat(access.isReleased()).isTrue();
        assertThat(returned).hasSize(1);
        assertThat(returned.get(0)[0]).as("RELEASED told to the sender").isEqualTo((byte) 2);
        byte[] page = new byte[PS];
        page[7] = 9;
        apply(header(RamPayload.FLAG_POSTCOPY_PAGES, 1, 1, 0, 2L * PS), page);
        assertThat(access.missingPages()).isZero();
        assertThat(dst.get(7)).isEqualTo((byte) 9);
        access.require(dst, 0, 3L * PS, Duration.ofSeconds(1)); // present: returns at once
        assertThat(access.requests()).isZero();
        receiver.finish(Duration.ofSeconds(1));
    }

    @Test
    void hostileMapsAreRefusedNamingTheField() throws Exception {
        refused(map(2, 0, 0), 0, "ram.missing.firstWord", "pass the end");
        refused(map(-1, 1), 0, "ram.missing.firstWord", "pass the end");
        refused(map(2, 1L << 2), 0, "ram.missing.words", "past the end"); // page 130 of 130
        refused(header(RamPayload.FLAG_MISSING, 1, 0, 0), 0, "ram.normalPages", "2 to");
        refused(header(RamPayload.FLAG_MISSING, 2, 1, 0, 1), 0, "ram.zeroPages", "no pages");
        refused(map(0, 1), 10, "ram.rawLength", "no data");
        refused(header(RamPayload.FLAG_MISSING | RamPayload.FLAG_RELEASE, 0, 0), 0, "ram.flags", "combination");
        assertThat(access.missingPages()).as("nothing applied").isZero();
    }

    @Test
    void pagesThatAreNotMissingAndLateControlPacketsAreRefused() throws Exception {
        apply(map(0, 0b1L), new byte[0]);
        refused(header(RamPayload.FLAG_POSTCOPY_PAGES, 1, 0, PS), PS, "ram.offset", "not missing");
        refused(header(0, 1, 0, 0), PS, "ram.flags", "after the switch-over");
        apply(1, release(), new byte[0]);
        refused(header(RamPayload.FLAG_RELEASE, 0, 0), 0, "ram.flags", "second release");
        refused(map(0, 0b10L), 0, "ram.flags", "after the release");
        apply(header(RamPayload.FLAG_POSTCOPY_PAGES, 0, 1, 0), new byte[0]);
        refused(header(RamPayload.FLAG_POSTCOPY_PAGES, 0, 1, 0), 0, "ram.offset", "not missing");
    }

    @Test
    void aReleaseInTheEpochOfAPrecopyPacketStillLandingIsRefused() throws Exception {
        // channel 1 began a pre-copy packet for page 3 (its data not yet read); the map and the
        // release follow on channel 0 with no sync barrier between them
        PayloadChannelReceiver other = receiver.openChannel(1);
        FakeDataTargets late = new FakeDataTargets();
        other.begin(new FakeIncomingPacket(1).epoch(0).header(header(0, 1, 0, 3L * PS)).rawLength(PS), late);
        apply(map(0, 0b1L), new byte[0]);
        refused(release(), 0, "ram.flags", "not after a sync barrier");
        assertThat(access.isReleased()).as("the application does not run while page 3 is still being written").isFalse();
        assertThat(returned).as("no RELEASED told to the sender").isEmpty();
    }

    @Test
    void aReleaseWithPagesNeitherArrivedNorMissingIsRefused() throws Exception {
        ByteBuffer record = RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES, List.of(RamBlock.allocate("pc.ram", LEN, PS)))
                .withPostcopy().encode();
        receiver = RamPayload.builder().destination(RamDestination.of(dst)).postcopy(new PostcopyAccess()).build()
                .openReceiver(ReturnPathContexts.recording(RamPayloadTest.CONFIG, returned), record); // every page tracked
        rx = receiver.openChannel(0);
        byte[] page = new byte[PS];
        apply(0, header(0, 1, 0, 0), page); // page 0 arrived in pre-copy
        apply(0, map(0, 0b11111100L), new byte[0]); // pages 2 to 7 missing; page 1 and 8 on never came
        refused(1, release(), 0, "ram.flags", "page 1 of block 'pc.ram' neither arrived nor is marked missing");
        assertThat(returned).as("no RELEASED told to the sender").isEmpty();
    }

    @Test
    void theMigrationCannotCompleteWithPagesMissing() throws Exception {
        apply(map(0, 0b1L), new byte[0]);
        assertThatThrownBy(() -> receiver.finish(Duration.ofSeconds(1))).isInstanceOf(SetupRefusedException.class)
                .hasMessageContaining("still missing");
        assertThatThrownBy(() -> access.require(dst, 0, PS, Duration.ofSeconds(1)))
                .isInstanceOf(io.multifd.api.MigrationFailedException.class);
    }

    @Test
    void aPostcopyRecordWithoutReturnPathIsRefused() {
        ByteBuffer record = RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES, List.of(RamBlock.allocate("pc.ram", LEN, PS)))
                .withPostcopy().encode();
        assertThatThrownBy(() -> RamPayload.receiving(RamDestination.of(RamBlock.allocate("pc.ram", LEN, PS)))
                .openReceiver(FakeReceiveContext.strict(1, RamPayloadTest.CONFIG), record))
                .isInstanceOf(SetupRefusedException.class).hasMessageContaining("no return path");
    }

    @Test
    void hostileReturnMessagesAreRefusedNamingTheField() {
        PostcopyRequests requests = new PostcopyRequests(List.of(RamBlock.allocate("pc.ram", LEN, PS)), null);
        record Case(byte[] bytes, String field) {
        }
        ByteBuffer outside = ByteBuffer.allocate(20).put(0, (byte) 1).putShort(2, (short) 1);
        outside.putShort(4, (short) 0).putInt(8, 2).putLong(12, 129); // pages 129..130 of 130
        ByteBuffer badBlock = ByteBuffer.allocate(20).put(0, (byte) 1).putShort(2, (short) 1);
        badBlock.putShort(4, (short) 1).putInt(8, 1).putLong(12, 0);
        ByteBuffer wrongCount = ByteBuffer.allocate(20).put(0, (byte) 1).putShort(2, (short) 2);
        for (Case c : List.of(new Case(new byte[3], "return.ram.length"), new Case(new byte[]{9, 0, 0, 0}, "return.ram.kind"),
                new Case(outside.array(), "return.ram.pages"), new Case(badBlock.array(), "return.ram.block"),
                new Case(wrongCount.array(), "return.ram.entries"), new Case(new byte[]{3, 0, 0, 0}, "return.ram.length"))) {
            assertThatThrownBy(() -> requests.onMessage(1, ByteBuffer.wrap(c.bytes()).asReadOnlyBuffer()))
                    .as(c.field()).isInstanceOfSatisfying(MalformedPacketException.class,
                            e -> assertThat(e.field()).isEqualTo(c.field()));
        }
        assertThat(requests.poll()).as("nothing queued").isNull();
    }
}
