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
package io.multifd.devicestate;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.devicestate.internal.DeviceStateWire;
import io.multifd.testing.FakeReceiveContext;
import io.multifd.testing.fuzz.SeededFuzz;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static io.multifd.devicestate.ReceiverHarness.header;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for what the device-state plug-in parses from a peer: its setup record and its
 * payload header. The header target feeds a sequence of packets to one channel receiver whose
 * loaders accept any device: {@code [header length:u8][data length:u16][header][data]...}. The
 * only acceptable refusals are {@link MalformedPacketException} (a header, or the order of a
 * device's buffers) and {@link SetupRefusedException} (a record); a failure the plug-in reports
 * from its loader threads must be the library's exception too, and every loader thread must end.
 *
 * <p>No class-level timeout: Jazzer turns a JUnit timeout that applies to the fuzz test into its
 * per-input limit, which the fuzzing script sets to 1 s.
 */
class DeviceStateFuzzTest {

    private static final int MAX_BUFFER = 4096;
    private static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(2).build();
    private static final Duration SLOW = Duration.ofSeconds(1);
    private static final AtomicLong LOADED = new AtomicLong();

    private static DeviceStatePayload plugin() {
        return DeviceStatePayload.builder().maxBuffersPerDevice(16).maxDevices(8)
                .loaderFactory((id, instance) -> buffer -> LOADED.addAndGet(buffer.remaining())).build();
    }

    @FuzzTest(maxDuration = "60s")
    void setupRecord(byte[] data) throws Exception {
        try {
            plugin().openReceiver(new FakeReceiveContext(CONFIG), ByteBuffer.wrap(data).asReadOnlyBuffer()).close();
        } catch (SetupRefusedException e) {
            // refused: fine
        }
    }

    @FuzzTest(maxDuration = "60s")
    void payloadHeader(byte[] data) throws Exception {
        ByteBuffer in = ByteBuffer.wrap(data);
        ReceiverHarness h = new ReceiverHarness(plugin(), CONFIG, MAX_BUFFER);
        try (PayloadChannelReceiver ch = h.receiver.openChannel(0)) {
            long offset = 0;
            while (in.remaining() >= 3) {
                int hl = Byte.toUnsignedInt(in.get());
                int raw = Short.toUnsignedInt(in.getShort());
                byte[] header = new byte[Math.min(hl, in.remaining())];
                in.get(header);
                byte[] body = new byte[Math.min(raw, in.remaining())];
                in.get(body);
                try {
                    ReceiverHarness.deliver(ch, 0, offset++, header, body);
                } catch (MalformedPacketException e) {
                    assertThat(e.field()).startsWith(DeviceStateWire.PAYLOAD_NAME + ".");
                    break;
                }
                if (h.failed() != null) {
                    break;
                }
            }
        } finally {
            h.close();
        }
        Throwable f = h.failed();
        if (f != null && !(f instanceof MultiFdException)) {
            throw new AssertionError("the plug-in failed with " + f, f);
        }
        assertThat(h.aliveThreads()).as("loader threads after close").isEmpty();
    }

    @Test
    @Timeout(120)
    void seededSetupRecord() {
        run("setupRecord", 5_000, this::setupRecord);
    }

    @Test
    @Timeout(120)
    void seededPayloadHeader() {
        long before = LOADED.get();
        run("payloadHeader", 3_000, this::payloadHeader);
        assertThat(LOADED.get() - before).as("bytes loaded: the corpus reaches the loaders").isPositive();
    }

    private static void run(String method, int iterations, SeededFuzz.Target target) {
        SeededFuzz.Summary s = SeededFuzz.run("DeviceStateFuzzTest." + method,
                SeededFuzz.corpus(DeviceStateFuzzTest.class, method), target, t -> false,
                20261207L ^ method.hashCode(), iterations, SLOW);
        assertThat(s.inputs()).isGreaterThan(iterations);
    }

    /** Writes the seed corpus: the sender's setup record, and two devices' buffers in order. */
    @Test
    @EnabledIfSystemProperty(named = "multifd.fuzz.writeCorpus", matches = "true")
    void writeCorpus() throws Exception {
        Path base = Path.of("src/test/resources/io/multifd/devicestate/DeviceStateFuzzTestInputs");
        Files.createDirectories(base.resolve("setupRecord"));
        Files.createDirectories(base.resolve("payloadHeader"));
        ByteBuffer rec = DeviceStateWire.setupRecord(MAX_BUFFER);
        byte[] r = new byte[rec.remaining()];
        rec.get(r);
        Files.write(base.resolve("setupRecord/seed"), r);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        byte[] a = "cpu".getBytes(StandardCharsets.UTF_8);
        byte[] b = "virtio-net".getBytes(StandardCharsets.UTF_8);
        packet(s, header(0, a, 0, 0, 0), 300);
        packet(s, header(0, b, 0, 3, 0), MAX_BUFFER);
        packet(s, header(DeviceStateWire.FLAG_LAST, a, 0, 0, 1), 17);
        packet(s, header(DeviceStateWire.FLAG_LAST, b, 0, 3, 1), 0);
        Files.write(base.resolve("payloadHeader/seed-two-devices"), s.toByteArray());
    }

    private static void packet(ByteArrayOutputStream s, byte[] header, int raw) {
        s.write(header.length);
        s.writeBytes(ByteBuffer.allocate(2).putShort((short) raw).array());
        s.writeBytes(header);
        byte[] body = new byte[raw];
        for (int i = 0; i < raw; i++) {
            body[i] = (byte) (i * 31);
        }
        s.writeBytes(body);
    }
}
