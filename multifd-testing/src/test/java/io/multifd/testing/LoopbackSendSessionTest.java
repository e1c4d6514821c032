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
package io.multifd.testing;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.SendData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The loopback session keeps the rules of the core's sender that clients rely on. */
@Timeout(30)
class LoopbackSendSessionTest {

    private static final int LENGTH = 64 << 10;
    private final ByteBuffer source = ByteBuffer.allocateDirect(LENGTH);
    private final ByteBuffer destination = ByteBuffer.allocateDirect(LENGTH);
    private final BlobRangesPayload sending = BlobRangesPayload.sender(source);
    private final LoopbackSendSession session = new LoopbackSendSession(MultiFdConfig.builder().channels(2).build())
            .register(sending, BlobRangesPayload.receiverInto(destination));

    LoopbackSendSessionTest() {
        for (int i = 0; i < LENGTH; i++) {
            source.put(i, (byte) (i * 31 + 7));
        }
    }

    @Test
    void declareAfterConnectAndSendBeforeConnectAreRefused() throws IOException {
        SendData slot = session.newSlot();
        slot.fill(sending).set(0, 10);
        assertThatThrownBy(() -> session.send(slot)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not connected");
        session.declare(sending, BlobRangesPayload.setupRecord(LENGTH));
        assertThatThrownBy(() -> session.declare(sending, BlobRangesPayload.setupRecord(LENGTH)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already declared");
        session.connect();
        assertThatThrownBy(() -> session.declare(sending, BlobRangesPayload.setupRecord(LENGTH)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("after connect");
        assertThatThrownBy(() -> session.send(session.newSlot())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void connectWithNothingDeclaredIsRefused() {
        assertThatThrownBy(session::connect).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nothing declared");
    }

    @Test
    void aStrictReceiveContextFailsTheTestAtTheFailingCall() {
        FakeReceiveContext strict = FakeReceiveContext.strict(1, MultiFdConfig.defaults());
        IllegalStateException cause = new IllegalStateException("plug-in bug");
        assertThatThrownBy(() -> strict.fail(cause)).isInstanceOf(AssertionError.class).hasCause(cause)
                .hasMessageContaining("plug-in bug");
        assertThat(strict.failure()).isSameAs(cause);
    }

    @Test
    void packetsGoRoundRobinAndArriveWithCountsAndEpochs() throws IOException {
        session.capture(true);
        session.declare(sending, BlobRangesPayload.setupRecord(LENGTH));
        session.connect();
        SendData slot = session.newSlot();
        for (int at = 0; at < LENGTH; at += 16 << 10) {
            slot.fill(sending).set(at, 16 << 10);
            slot = session.send(slot);
            if (at == 0) {
                assertThat(session.sync()).isZero();
            }
        }
        assertThat(session.dataPackets()).extracting(LoopbackSendSession.CapturedPacket::channel)
                .containsExactly(0, 1, 0, 1);
        assertThat(session.dataPackets()).extracting(LoopbackSendSession.CapturedPacket::epoch)
                .containsExactly(0L, 1L, 1L, 1L);
        assertThat(session.packets()).hasSize(5).filteredOn(LoopbackSendSession.CapturedPacket::isSync).hasSize(1);
        assertThat(session.stats().packets()).isEqualTo(4);
        assertThat(session.stats().rawBytes()).isEqualTo(LENGTH);
        assertThat(session.receivedStats(sending).items()).isEqualTo(4);
        session.finish(Duration.ofSeconds(5));
        session.close();
        assertThat(Hashes.sha256(destination)).isEqualTo(Hashes.sha256(source));
        assertThat(session.violations()).isEmpty();
    }

    @Test
    void aSlotSentWhileAChannelOwnsItIsAViolation() throws IOException {
        session.declare(sending, BlobRangesPayload.setupRecord(LENGTH));
        session.connect();
        SendData slot = session.newSlot();
        slot.fill(sending).set(0, 100);
        SendData returned = session.send(slot);
        slot.fill(sending).set(100, 100);   // the client kept using the slot it handed over
        session.send(slot);
        assertThat(returned).isNotSameAs(slot);
        assertThat(session.violations()).singleElement().asString().contains("owned by a channel");
    }

    @Test
    void aFailureReportedByThePlugInFailsTheNextSend() throws IOException {
        session.declare(sending, BlobRangesPayload.setupRecord(LENGTH));
        session.connect();
        IOException cause = new IOException("loader broke");
        session.receiveContext().fail(cause);
        SendData slot = session.newSlot();
        slot.fill(sending).set(0, 10);
        assertThatThrownBy(() -> session.send(slot)).isInstanceOf(MigrationFailedException.class).hasCause(cause);
        assertThat(session.receiveContext().failingThreadInterrupted()).contains(false);
    }

    @Test
    void aHostileSetupRecordIsRefusedAtConnect() {
        session.declare(sending, BlobRangesPayload.setupRecord(LENGTH + 1));
        assertThatThrownBy(session::connect).hasMessageContaining("'blob-ranges.setup.blobLength'");
    }

    @Test
    void theOutgoingPacketNoticesABufferChangedBeforeItWasWritten() {
        FakeOutgoingPacket out = new FakeOutgoingPacket(0, 16, 100);
        ByteBuffer data = ByteBuffer.allocate(50);
        out.addData(data);
        assertThatThrownBy(() -> out.addData(ByteBuffer.allocate(51))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxPacketDataLength 100");
        assertThat(out.dataBytes()).hasSize(50);
        data.position(10);
        assertThatThrownBy(out::dataBytes).isInstanceOf(AssertionError.class).hasMessageContaining("changed");
        out.reset();
        assertThat(out.data()).isEqualTo(List.of());
        assertThat(out.dataLength()).isZero();
    }
}
