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

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.testing.FakeDataTargets;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.fuzz.SeededFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for what post-copy parses from a peer: the RAM packets of a post-copy session
 * (missing-page maps, the release marker, post-copy pages, pre-copy pages around them) fed to one
 * channel receiver as {@code [header length:u16][raw length:u32][header]...}, and the RAM return
 * messages the source reads. The only acceptable refusal is a {@link MalformedPacketException}
 * naming a {@code ram.*} or {@code return.ram.*} field.
 */
class PostcopyFuzzTest {

    private static final int PS = 4096;
    private static final long LEN = 200L * PS + 100;
    private static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(1).build();
    private static final byte[] NAME = "pc.ram".getBytes(StandardCharsets.UTF_8);
    private static final RamBlock DST = RamBlock.allocate("pc.ram", LEN, PS);
    private static final ByteBuffer RECORD = RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES, List.of(DST))
            .withPostcopy().encode();
    private static final AtomicLong APPLIED = new AtomicLong();

    @FuzzTest(maxDuration = "60s")
    void postcopyPackets(byte[] data) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(data);
        try (PayloadReceiver r = RamPayload.builder().destination(RamDestination.of(DST)).postcopy(new PostcopyAccess())
                .requireEveryPage(false).build().openReceiver(ReturnPathContexts.recording(CONFIG, null), RECORD.duplicate());
             PayloadChannelReceiver ch = r.openChannel(0)) {
            long offset = 0;
            while (in.remaining() >= 6) {
                int hl = Math.min(Short.toUnsignedInt(in.getShort()), in.remaining() - 4);
                int raw = (int) Math.min(Integer.toUnsignedLong(in.getInt()), RamPayload.DEFAULT_BATCH_BYTES);
                byte[] header = new byte[Math.max(0, Math.min(hl, in.remaining()))];
                in.get(header);
                FakeIncomingPacket p = new FakeIncomingPacket(0).header(header).streamOffset(offset++);
                try {
                    FakeDataTargets.deliver(ch, p, new byte[raw]);
                    APPLIED.incrementAndGet();
                } catch (MalformedPacketException e) {
                    assertThat(e.field()).startsWith("ram.");
                }
            }
        }
    }

    @FuzzTest(maxDuration = "60s")
    void returnMessages(byte[] data) throws Exception {
        PostcopyRequests requests = new PostcopyRequests(List.of(DST), null);
        try {
            requests.onMessage(0, ByteBuffer.wrap(data).asReadOnlyBuffer());
        } catch (MalformedPacketException e) {
            assertThat(e.field()).startsWith("return.ram.");
        }
        PostcopyRequests.Range range;
        while ((range = requests.poll()) != null) {
            assertThat(range.firstPage() + range.pages()).isLessThanOrEqualTo(DST.pageCount());
        }
    }

    @Test
    @Timeout(120)
    void seededPostcopyPackets() {
        long before = APPLIED.get();
        run("postcopyPackets", List.of(packets()), this::postcopyPackets);
        assertThat(APPLIED.get() - before).as("packets applied").isGreaterThan(1000);
    }

    @Test
    @Timeout(120)
    void seededReturnMessages() {
        ByteBuffer request = ByteBuffer.allocate(20).put(0, (byte) 1).putShort(2, (short) 1);
        request.putShort(4, (short) 0).putInt(8, 3).putLong(12, 10);
        ByteBuffer applied = ByteBuffer.allocate(12).put(0, (byte) 3).putLong(4, 64);
        run("returnMessages", List.of(request.array(), applied.array(), new byte[]{2, 0, 0, 0}), this::returnMessages);
    }

    /** A valid sequence: a map (pages 0-2 and 64 missing), the release, then those pages. */
    private static byte[] packets() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        packet(out, header(RamPayload.FLAG_MISSING, 3, 0, 0, 0b111L, 1L), 0);
        packet(out, header(RamPayload.FLAG_RELEASE, 0, 0), 0);
        packet(out, header(RamPayload.FLAG_POSTCOPY_PAGES, 2, 1, 0, PS, 2L * PS), 2 * PS);
        packet(out, header(RamPayload.FLAG_POSTCOPY_PAGES, 1, 0, 64L * PS), PS);
        return out.toByteArray();
    }

    private static ByteBuffer header(int flags, long n, long z, long... values) {
        ByteBuffer h = ByteBuffer.allocate(12 + NAME.length + 8 * values.length);
        h.put((byte) 1).put((byte) flags).putShort((short) NAME.length).putInt((int) n).putInt((int) z).put(NAME);
        for (long v : values) {
            h.putLong(v);
        }
        return h.flip();
    }

    private static void packet(ByteArrayOutputStream out, ByteBuffer header, int raw) {
        ByteBuffer b = ByteBuffer.allocate(6 + header.remaining()).putShort((short) header.remaining()).putInt(raw).put(header);
        out.writeBytes(b.array());
    }

    private static void run(String method, List<byte[]> seeds, SeededFuzz.Target target) {
        SeededFuzz.Summary s = SeededFuzz.run("PostcopyFuzzTest." + method, seeds, target, t -> false,
                20261207L ^ method.hashCode(), 5_000, Duration.ofSeconds(1));
        assertThat(s.inputs()).isGreaterThan(5_000);
    }
}
