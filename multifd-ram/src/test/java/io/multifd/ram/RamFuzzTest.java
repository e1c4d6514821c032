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
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.testing.FakeDataTargets;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.FakeReceiveContext;
import io.multifd.testing.fuzz.SeededFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for what the RAM plug-in parses from a peer: its setup record (in the manifest) and
 * its payload header. The header target feeds a sequence of packets to one channel receiver of
 * a destination with two blocks (4 KiB pages with a partial last page, and 64 KiB pages):
 * {@code [header length:u16][raw length:u32][header]...}; each packet's data is delivered only if
 * {@code begin} accepted it, and must then fill the targets it named exactly. The only acceptable
 * refusals are {@link MalformedPacketException} (header) and {@link SetupRefusedException} (record).
 *
 * <p>No class-level timeout: Jazzer turns a JUnit timeout that applies to the fuzz test into its
 * per-input limit, which the fuzzing script sets to 1 s.
 */
class RamFuzzTest {

    private static final long LEN = (2 << 20) + 100;
    private static final long VGA = 1 << 20;
    private static final int MAX_RAW = RamPayload.DEFAULT_BATCH_BYTES;
    private static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(1).build();
    private static final Duration SLOW = Duration.ofSeconds(1);

    /** Packets {@code begin} accepted and whose data filled the targets: the corpus reaches past the checks. */
    private static final AtomicLong APPLIED = new AtomicLong();

    private static final RamBlock DST_RAM = RamBlock.allocate("pc.ram", LEN, 4096);
    private static final RamBlock DST_VGA = RamBlock.allocate("vga.vram", VGA, 65536);
    private static final ByteBuffer RECORD = RamSetupRecord.of(RamPayload.DEFAULT_BATCH_BYTES,
            List.of(DST_RAM, DST_VGA)).encode();

    @FuzzTest(maxDuration = "60s")
    void setupRecord(byte[] data) throws Exception {
        try (PayloadReceiver r = RamPayload.receiving(RamDestination.of(DST_RAM, DST_VGA))
                .openReceiver(new FakeReceiveContext(CONFIG), ByteBuffer.wrap(data).asReadOnlyBuffer())) {
            assertThat(r).isNotNull();
        } catch (SetupRefusedException e) {
            // refused: fine
        }
    }

    @FuzzTest(maxDuration = "60s")
    void payloadHeader(byte[] data) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(data);
        try (PayloadReceiver r = RamPayload.receiving(RamDestination.of(DST_RAM, DST_VGA))
                .openReceiver(new FakeReceiveContext(CONFIG), RECORD.duplicate());
             PayloadChannelReceiver ch = r.openChannel(0)) {
            long offset = 0;
            while (in.remaining() >= 6) {
                int hl = Math.min(Short.toUnsignedInt(in.getShort()), in.remaining() - 4);
                int raw = (int) Math.min(Integer.toUnsignedLong(in.getInt()), MAX_RAW);
                byte[] header = new byte[Math.max(0, Math.min(hl, in.remaining()))];
                in.get(header);
                FakeIncomingPacket p = new FakeIncomingPacket(0).header(header).streamOffset(offset++);
                try {
                    // deliver: begin, fill exactly raw bytes (an AssertionError if the targets disagree), end
                    FakeDataTargets.deliver(ch, p, new byte[raw]);
                    APPLIED.incrementAndGet();
                } catch (MalformedPacketException e) {
                    assertThat(e.field()).startsWith("ram.");
                }
            }
        }
    }

    @Test
    @Timeout(120)
    void seededSetupRecord() {
        run("setupRecord", 5_000, this::setupRecord);
    }

    @Test
    @Timeout(120)
    void seededPayloadHeader() {
        long before = APPLIED.get();
        run("payloadHeader", 5_000, this::payloadHeader);
        assertThat(APPLIED.get() - before).as("packets applied").isGreaterThan(1000);
    }

    private static void run(String method, int iterations, SeededFuzz.Target target) {
        SeededFuzz.Summary s = SeededFuzz.run("RamFuzzTest." + method, SeededFuzz.corpus(RamFuzzTest.class, method),
                target, t -> false, 20261207L ^ method.hashCode(), iterations, SLOW);
        assertThat(s.inputs()).isGreaterThan(iterations);
    }

    /** Writes the seed corpus: the destination's own record, and valid packets of both blocks. */
    @Test
    @EnabledIfSystemProperty(named = "multifd.fuzz.writeCorpus", matches = "true")
    void writeCorpus() throws Exception {
        Path base = Path.of("src/test/resources/io/multifd/ram/RamFuzzTestInputs");
        Files.createDirectories(base.resolve("setupRecord"));
        Files.createDirectories(base.resolve("payloadHeader"));
        Files.write(base.resolve("setupRecord/seed-two-blocks"), bytes(RECORD.duplicate()));
        Files.write(base.resolve("setupRecord/seed-one-block"),
                bytes(RamSetupRecord.of(4096, List.of(DST_RAM)).encode()));
        long last = LEN / 4096 * 4096;
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        packet(s, RamHostilePacketTest.header("pc.ram", 2, 1, 0, 4096, 8192), 2 * 4096);
        packet(s, RamHostilePacketTest.header("pc.ram", 1, 1, last, 12288), (int) (LEN - last));
        packet(s, RamHostilePacketTest.header("vga.vram", 1, 2, 65536, 0, 131072), 65536);
        packet(s, RamHostilePacketTest.header("pc.ram", 0, 2, 4096, 16384), 0);
        Files.write(base.resolve("payloadHeader/seed-packets"), s.toByteArray());
    }

    private static void packet(ByteArrayOutputStream s, ByteBuffer header, int raw) {
        byte[] h = bytes(header);
        s.writeBytes(ByteBuffer.allocate(6).putShort((short) h.length).putInt(raw).array());
        s.writeBytes(h);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
