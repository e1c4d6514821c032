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

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.testing.LoopbackSendSession.CapturedPacket;
import io.multifd.testing.LoopbackSendSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeviceStateSaverTest {

    static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(3).build();

    /** A parsed captured header. */
    record Parsed(int flags, String id, int instance, int index, int length) {
        boolean last() {
            return (flags & 1) != 0;
        }
    }

    /** A session that captures what the device-state plug-in sends (no receiving side). */
    static LoopbackSendSession session(MultiFdConfig config) {
        return new LoopbackSendSession(config).register(new DeviceStatePayload());
    }

    static Parsed parse(CapturedPacket c) {
        ByteBuffer h = ByteBuffer.wrap(c.header());
        int flags = h.get() & 0xFF;
        int idLength = h.get() & 0xFF;
        assertThat(h.getShort()).as("reserved").isZero();
        int instance = h.getInt();
        int index = h.getInt();
        byte[] id = new byte[idLength];
        h.get(id);
        assertThat(h.hasRemaining()).as("header has no trailing bytes").isFalse();
        return new Parsed(flags, new String(id, StandardCharsets.UTF_8), instance, index, c.data().length);
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void openDeclaresTheSetupRecord() {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 4096);
        assertThat(saver.maxBufferLength()).isEqualTo(4096);
        ByteBuffer declared = s.declared(s.payload(DeviceStatePayload.class).orElseThrow()).orElseThrow();
        byte[] record = new byte[declared.remaining()];
        declared.get(record);
        assertThat(record).containsExactly(0, 1, 0, 0, 0, 0, 0x10, 0);
        assertThatThrownBy(() -> DeviceStateSaver.open(s)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void maxBufferLengthIsCappedByThePacketLength() {
        MultiFdConfig small = MultiFdConfig.builder().maxPacketDataLength(8192).build();
        DeviceStateSaver saver = DeviceStateSaver.open(session(small));
        assertThat(saver.maxBufferLength()).isEqualTo(8192);
        assertThatThrownBy(() -> DeviceStateSaver.open(session(small), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBufferLength");
    }

    @Test
    void openRefusesASessionWithoutThePlugin() {
        LoopbackSendSession s = new LoopbackSendSession(CONFIG);   // the plug-in is not registered
        assertThatThrownBy(() -> DeviceStateSaver.open(s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device-state");
    }

    @Test
    void headerLayoutIsBigEndianAsDocumented() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 4096);
        s.connect();
        saver.save("net0", 0x01020304, new byte[] {9, 8, 7});
        assertThat(s.dataPackets()).hasSize(1);
        CapturedPacket c = s.dataPackets().get(0);
        assertThat(c.header()).containsExactly(
                0x01, 4, 0, 0,          // flags LAST, id length, reserved
                1, 2, 3, 4,             // instance
                0, 0, 0, 0,             // index 0
                'n', 'e', 't', '0');
        assertThat(c.data()).containsExactly(9, 8, 7);
    }

    @Test
    void cutsIntoBuffersNoLargerThanTheCapWithIndexesAndOneLastFlag() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 1000);
        s.connect();
        byte[] state = random(1, 2500);
        saver.save("dev", 3, state);
        List<Parsed> p = s.dataPackets().stream().map(DeviceStateSaverTest::parse).toList();
        assertThat(p).extracting(Parsed::index).containsExactly(0, 1, 2);
        assertThat(p).extracting(Parsed::length).containsExactly(1000, 1000, 500);
        assertThat(p).extracting(Parsed::last).containsExactly(false, false, true);
        assertThat(p).allSatisfy(x -> {
            assertThat(x.id()).isEqualTo("dev");
            assertThat(x.instance()).isEqualTo(3);
        });
        assertThat(concat(s.dataPackets())).isEqualTo(state);
        assertThat(saver.buffersSent()).isEqualTo(3);
        assertThat(saver.bytesSent()).isEqualTo(2500);
        assertThat(saver.devicesSaved()).isEqualTo(1);
        assertThat(s.violations()).isEmpty();
    }

    @Test
    void anExactMultipleOfTheCapSendsNoEmptyTrailingBuffer() throws IOException {
        for (String variant : List.of("array", "stream", "writer")) {
            LoopbackSendSession s = session(CONFIG);
            DeviceStateSaver saver = DeviceStateSaver.open(s, 1024);
            s.connect();
            byte[] state = random(2, 3 * 1024);
            switch (variant) {
                case "array" -> saver.save("d", 0, state);
                case "stream" -> assertThat(saver.save("d", 0, new ByteArrayInputStream(state))).isEqualTo(state.length);
                default -> assertThat(saver.save("d", 0, out -> {
                    for (int i = 0; i < state.length; i += 100) {
                        out.write(state, i, Math.min(100, state.length - i));
                    }
                })).isEqualTo(state.length);
            }
            List<Parsed> p = s.dataPackets().stream().map(DeviceStateSaverTest::parse).toList();
            assertThat(p).as(variant).extracting(Parsed::length).containsExactly(1024, 1024, 1024);
            assertThat(p).as(variant).extracting(Parsed::last).containsExactly(false, false, true);
            assertThat(concat(s.dataPackets())).as(variant).isEqualTo(state);
        }
    }

    @Test
    void byteByByteWritesFillBuffersToTheCap() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 100);
        s.connect();
        byte[] state = random(9, 250);
        assertThat(saver.save("d", 0, out -> {
            for (byte b : state) {
                out.write(b);
            }
        })).isEqualTo(250);
        assertThat(s.dataPackets().stream().map(DeviceStateSaverTest::parse).toList())
                .extracting(Parsed::length).containsExactly(100, 100, 50);
        assertThat(concat(s.dataPackets())).isEqualTo(state);
    }

    @Test
    void anEmptyStateIsOneEmptyLastBuffer() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s);
        s.connect();
        saver.save("empty-a", 0, new byte[0]);
        saver.save("empty-b", 0, new ByteArrayInputStream(new byte[0]));
        saver.save("empty-c", 0, out -> { });
        List<Parsed> p = s.dataPackets().stream().map(DeviceStateSaverTest::parse).toList();
        assertThat(p).hasSize(3).allSatisfy(x -> {
            assertThat(x.index()).isZero();
            assertThat(x.last()).isTrue();
            assertThat(x.length()).isZero();
        });
    }

    @Test
    void copiesTheCallersBytesAndLeavesItsBufferAlone() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 4096);
        s.connect();
        byte[] state = random(3, 10_000);
        byte[] copy = state.clone();
        ByteBuffer src = ByteBuffer.wrap(state, 100, 9000);
        saver.save("d", 0, src);
        assertThat(src.position()).isEqualTo(100);
        assertThat(src.limit()).isEqualTo(9100);
        java.util.Arrays.fill(state, (byte) 0x55);   // the caller reuses its buffer
        assertThat(concat(s.dataPackets())).isEqualTo(java.util.Arrays.copyOfRange(copy, 100, 9100));
    }

    @Test
    void directSourceBuffersWork() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 4096);
        s.connect();
        byte[] state = random(4, 9999);
        ByteBuffer direct = ByteBuffer.allocateDirect(state.length);
        direct.put(state).flip();
        saver.save("d", 0, direct);
        assertThat(concat(s.dataPackets())).isEqualTo(state);
    }

    @Test
    void refusesASecondSaveOfTheSameDeviceAndBadIds() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s);
        s.connect();
        saver.save("d", 1, new byte[1]);
        saver.save("d", 2, new byte[1]);
        assertThatThrownBy(() -> saver.save("d", 1, new byte[1])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'d' instance 1").hasMessageContaining("already saved");
        assertThatThrownBy(() -> saver.save("", 0, new byte[1])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> saver.save("a\0b", 0, new byte[1])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> saver.save("x".repeat(256), 0, new byte[1])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256 bytes");
        assertThatThrownBy(() -> saver.save("\ud800", 0, new byte[1])).isInstanceOf(IllegalArgumentException.class);
        saver.save("\u00e9".repeat(127), 0, new byte[1]);   // 254 bytes of UTF-8
        assertThat(s.dataPackets()).hasSize(3);
    }

    @Test
    void aFailingProducerSendsNoLastBufferAndReturnsACleanSlot() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 1024);
        s.connect();
        IOException boom = new IOException("producer broke");
        assertThatThrownBy(() -> saver.save("d", 0, out -> {
            out.write(new byte[2500]);
            throw boom;
        })).isSameAs(boom);
        List<Parsed> p = s.dataPackets().stream().map(DeviceStateSaverTest::parse).toList();
        assertThat(p).extracting(Parsed::index).containsExactly(0, 1);
        assertThat(p).noneMatch(Parsed::last);
        // the pooled slot is empty and reusable for another device
        saver.save("e", 0, new byte[10]);
        assertThat(parse(s.dataPackets().get(2)).id()).isEqualTo("e");
        assertThat(s.violations()).isEmpty();
    }

    @Test
    void aFailedSendClearsTheSlotAndPropagates() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 1024);
        s.connect();
        s.interceptor(n -> {
            if (n == 1) {
                throw new InterruptedIOException("interrupted");
            }
        });
        assertThatThrownBy(() -> saver.save("d", 0, new byte[3000])).isInstanceOf(InterruptedIOException.class);
        s.interceptor(n -> {
            throw new MigrationFailedException("send failed", new IOException("channel 1 reset"));
        });
        assertThatThrownBy(() -> saver.save("e", 0, new byte[10])).isInstanceOf(MigrationFailedException.class)
                .satisfies(e -> assertThat(((MigrationFailedException) e).code()).isEqualTo(ProtocolCode.FAILED));
        s.interceptor(null);
        saver.save("f", 0, new byte[10]);
        assertThat(s.dataPackets()).extracting(c -> parse(c).id()).containsExactly("d", "f");
    }

    @Test
    void streamWritesAfterTheSaveEndedAreRefused() throws IOException {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 1024);
        s.connect();
        java.io.OutputStream[] leaked = new java.io.OutputStream[1];
        saver.save("d", 0, out -> {
            leaked[0] = out;
            out.write(1);
            out.close();   // allowed, does nothing
            out.write(2);
        });
        assertThatThrownBy(() -> leaked[0].write(3)).isInstanceOf(IOException.class).hasMessageContaining("after its save ended");
        assertThat(concat(s.dataPackets())).containsExactly(1, 2);
    }

    @Test
    void manyThreadsSaveAtOnceEachWithItsOwnSlot() throws Exception {
        LoopbackSendSession s = session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, 4096);
        s.connect();
        int threads = 8;
        byte[][] states = new byte[threads][];
        for (int i = 0; i < threads; i++) {
            states[i] = random(100 + i, 1000 * i * 37);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int d = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    if (d % 2 == 0) {
                        saver.save("dev" + d, d, states[d]);
                    } else {
                        saver.save("dev" + d, d, new ByteArrayInputStream(states[d]));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(s.violations()).isEmpty();
        for (int i = 0; i < threads; i++) {
            String id = "dev" + i;
            List<CapturedPacket> mine = s.dataPackets().stream().filter(c -> parse(c).id().equals(id)).toList();
            assertThat(mine).extracting(c -> parse(c).index()).isSorted();
            assertThat(concat(mine)).as(id).isEqualTo(states[i]);
            assertThat(mine).filteredOn(c -> parse(c).last()).hasSize(1);
        }
    }

    static byte[] concat(List<CapturedPacket> packets) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CapturedPacket c : packets) {
            out.writeBytes(c.data());
        }
        return out.toByteArray();
    }
}
