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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.testing.LoopbackSendSession.CapturedPacket;
import io.multifd.testing.LoopbackSendSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static io.multifd.devicestate.ReceiverHarness.deliver;
import static io.multifd.devicestate.ReceiverHarness.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeviceStateReceiverTest {

    static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(4).build();
    static final Duration FINISH = Duration.ofSeconds(30);
    static final byte[] DEV = "dev".getBytes(StandardCharsets.UTF_8);

    private final List<ReceiverHarness> harnesses = new ArrayList<>();
    private final List<ExecutorService> pools = new ArrayList<>();

    @AfterEach
    void everyThreadEnds() {
        for (ExecutorService p : pools) {
            p.shutdownNow();
        }
        for (ReceiverHarness h : harnesses) {
            h.close();
            assertThat(h.aliveThreads()).as("load threads alive after close").isEmpty();
        }
    }

    ReceiverHarness harness(DeviceStatePayload plugin, int maxBuffer) throws IOException {
        return harness(plugin, CONFIG, maxBuffer);
    }

    ReceiverHarness harness(DeviceStatePayload plugin, MultiFdConfig config, int maxBuffer) throws IOException {
        ReceiverHarness h = new ReceiverHarness(plugin, config, maxBuffer);
        harnesses.add(h);
        return h;
    }

    ExecutorService pool(int n) {
        ExecutorService p = Executors.newFixedThreadPool(n);
        pools.add(p);
        return p;
    }

    /** Loaders made on demand, by device id. */
    static final class Loaders implements DeviceStateLoaderFactory {
        final Map<String, HashingLoader> made = new ConcurrentHashMap<>();

        @Override
        public DeviceStateLoader create(String deviceId, int instance) {
            HashingLoader l = new HashingLoader();
            made.put(deviceId + "#" + instance, l);
            return l;
        }
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Saves the states through the real saver into a fake session; returns it. */
    static LoopbackSendSession save(int maxBuffer, Map<String, byte[]> states) throws IOException {
        LoopbackSendSession s = DeviceStateSaverTest.session(CONFIG);
        DeviceStateSaver saver = DeviceStateSaver.open(s, maxBuffer);
        s.connect();
        for (Map.Entry<String, byte[]> e : states.entrySet()) {
            saver.save(e.getKey(), 7, e.getValue());
        }
        return s;
    }

    static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(2);   // observation only: the library never sleeps
        }
    }

    // ---------------------------------------------------------------- reassembly

    @Test
    void reassemblesInIndexOrderWhateverTheArrivalOrder() throws Exception {
        long seed = System.nanoTime();
        try {
            Map<String, byte[]> states = new java.util.LinkedHashMap<>();
            states.put("empty", new byte[0]);
            states.put("small", random(seed, 5000));
            states.put("large", random(seed + 1, 300_000));
            states.put("exact", random(seed + 2, 8 * 4096));
            List<CapturedPacket> packets = new ArrayList<>(save(4096, states).dataPackets());
            Collections.shuffle(packets, new Random(seed));

            Loaders loaders = new Loaders();
            ReceiverHarness h = harness(DeviceStatePayload.builder().loaderFactory(loaders).build(), 4096);
            PayloadChannelReceiver[] ch = new PayloadChannelReceiver[4];
            for (int i = 0; i < 4; i++) {
                ch[i] = h.receiver.openChannel(i);
            }
            long offset = 0;
            for (CapturedPacket c : packets) {
                deliver(ch[c.channel()], c.channel(), offset++, c.header(), c.data());
            }
            h.receiver.finish(FINISH);
            assertThat(h.failed()).isNull();
            for (Map.Entry<String, byte[]> e : states.entrySet()) {
                HashingLoader l = loaders.made.get(e.getKey() + "#7");
                assertThat(l.completed).as(e.getKey()).isTrue();
                assertThat(l.bytes).as(e.getKey()).isEqualTo(e.getValue().length);
                assertThat(l.hash()).as(e.getKey()).isEqualTo(HashingLoader.sha256(e.getValue()));
                assertThat(l.aborted.get()).isNull();
            }
            assertThat(loaders.made.get("empty#7").loads.get()).as("an empty state calls no load").isZero();
            assertThat(loaders.made.get("exact#7").loads.get()).isEqualTo(8);
            assertThat(h.aliveThreads()).as("finish returns after every load thread ended").isEmpty();
        } catch (AssertionError | Exception e) {
            throw new AssertionError("seed " + seed + ": " + e, e);
        }
    }

    @Test
    void channelsDeliverConcurrentlyWhileLoadersRunOnThreadsOfTheirOwn() throws Exception {
        long seed = System.nanoTime();
        try {
            Map<String, byte[]> states = new java.util.LinkedHashMap<>();
            for (int i = 0; i < 6; i++) {
                states.put("d" + i, random(seed + i, 20_000 * i + 1));
            }
            List<CapturedPacket> packets = save(2048, states).dataPackets();
            Loaders loaders = new Loaders();
            ReceiverHarness h = harness(DeviceStatePayload.builder().loaderFactory(loaders)
                    .maxBacklogBytesPerDevice(8192).build(), 2048);
            ExecutorService pool = pool(4);
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int channel = c;
                PayloadChannelReceiver ch = h.receiver.openChannel(c);
                futures.add(pool.submit(() -> {
                    long offset = 0;
                    for (CapturedPacket p : packets) {
                        if (p.channel() == channel) {
                            deliver(ch, channel, offset++, p.header(), p.data());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
            h.receiver.finish(FINISH);
            java.util.Set<String> threads = new java.util.HashSet<>();
            for (Map.Entry<String, byte[]> e : states.entrySet()) {
                HashingLoader l = loaders.made.get(e.getKey() + "#7");
                assertThat(l.hash()).as(e.getKey()).isEqualTo(HashingLoader.sha256(e.getValue()));
                assertThat(l.loadThread).startsWith("multifd-load-").contains(e.getKey() + "#7");
                threads.add(l.loadThread);
            }
            assertThat(threads).as("one load thread per device").hasSize(states.size());
        } catch (AssertionError | Exception e) {
            throw new AssertionError("seed " + seed + ": " + e, e);
        }
    }

    @Test
    void registeredLoadersAndTheFactoryServeTheirDevices() throws Exception {
        HashingLoader registered = new HashingLoader();
        Loaders loaders = new Loaders();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 1, registered)
                .loaderFactory(loaders).build(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        deliver(ch, 0, 0, header(1, DEV, 0, 1, 0), new byte[] {1, 2});
        deliver(ch, 0, 1, header(1, DEV, 0, 2, 0), new byte[] {3});
        h.receiver.finish(FINISH);
        assertThat(registered.bytes).isEqualTo(2);
        assertThat(loaders.made).containsOnlyKeys("dev#2");
    }

    @Test
    void instanceIdsAreUnsigned() throws Exception {
        Loaders loaders = new Loaders();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loaderFactory(loaders).build(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        deliver(ch, 0, 0, header(1, DEV, 0, -1, 0), new byte[] {1});
        h.receiver.finish(FINISH);
        assertThat(loaders.made).containsOnlyKeys("dev#-1");
    }

    // ---------------------------------------------------------------- refusals on the channel

    /** Delivers {@code header} with {@code data} to a fresh receiver and returns the refusal. */
    MalformedPacketException refusal(DeviceStatePayload plugin, byte[]... headersThenLast) throws IOException {
        ReceiverHarness h = harness(plugin, 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(2);
        int n = headersThenLast.length;
        for (int i = 0; i < n - 1; i++) {
            deliver(ch, 2, i, headersThenLast[i], new byte[] {(byte) i});
        }
        Throwable t = catchThrowable(() -> deliver(ch, 2, 1000, headersThenLast[n - 1], new byte[] {9}));
        assertThat(t).isInstanceOf(MalformedPacketException.class);
        MalformedPacketException m = (MalformedPacketException) t;
        assertThat(m.channel()).isEqualTo(2);
        assertThat(m.streamOffset()).isEqualTo(1000);
        assertThat(m.code()).isEqualTo(ProtocolCode.MALFORMED);
        return m;
    }

    /** Delivers {@code header} to a fresh receiver and returns how the plug-in failed (not a refusal of the packet). */
    MultiFdException unloadable(DeviceStatePayload plugin, byte[] header) throws IOException {
        ReceiverHarness h = harness(plugin, 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(2);
        Throwable t = catchThrowable(() -> deliver(ch, 2, 1000, header, new byte[] {9}));
        assertThat(t).isInstanceOf(MultiFdException.class).isNotInstanceOf(MalformedPacketException.class);
        MultiFdException m = (MultiFdException) t;
        assertThat(m.code()).isEqualTo(ProtocolCode.PLUGIN_FAILED);
        return m;
    }

    static DeviceStatePayload any() {
        return DeviceStatePayload.builder().loaderFactory(new Loaders()).build();
    }

    @Test
    void refusesADuplicateIndex() throws IOException {
        MalformedPacketException m = refusal(any(), header(0, DEV, 0, 0, 3), header(0, DEV, 0, 0, 3));
        assertThat(m.field()).isEqualTo("device-state.index");
        assertThat(m.value()).isEqualTo("3");
        assertThat(m.getMessage()).contains("duplicate").contains("'dev' instance 0");
    }

    @Test
    void refusesAnIndexAlreadyLoaded() throws Exception {
        GatedLoader loader = new GatedLoader();
        loader.permits.release(100);
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 0, loader).build(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        deliver(ch, 0, 0, header(0, DEV, 0, 0, 0), new byte[] {1});
        awaitTrue("buffer 0 loaded", () -> loader.loads.get() == 1);
        assertThatThrownBy(() -> deliver(ch, 0, 1, header(0, DEV, 0, 0, 0), new byte[] {1}))
                .isInstanceOfSatisfying(MalformedPacketException.class,
                        m -> assertThat(m.field()).isEqualTo("device-state.index"));
    }

    @Test
    void refusesABufferAfterTheLastOne() throws IOException {
        MalformedPacketException m = refusal(any(), header(1, DEV, 0, 0, 2), header(0, DEV, 0, 0, 3));
        assertThat(m.field()).isEqualTo("device-state.index");
        assertThat(m.value()).isEqualTo("3");
        assertThat(m.getMessage()).contains("after the last one (index 2)");
    }

    @Test
    void refusesALastBufferBelowAnIndexAlreadySeen() throws IOException {
        MalformedPacketException m = refusal(any(), header(0, DEV, 0, 0, 5), header(1, DEV, 0, 0, 4));
        assertThat(m.field()).isEqualTo("device-state.index");
        assertThat(m.value()).isEqualTo("4");
        assertThat(m.getMessage()).contains("marked last, but buffer 5");
    }

    @Test
    void refusesASecondLastBuffer() throws IOException {
        MalformedPacketException m = refusal(any(), header(1, DEV, 0, 0, 4), header(1, DEV, 0, 0, 2));
        assertThat(m.field()).isEqualTo("device-state.flags");
        assertThat(m.getMessage()).contains("already had its last buffer at index 4");
    }

    @Test
    void refusesAnIndexBeyondTheBound() throws IOException {
        MalformedPacketException m = refusal(DeviceStatePayload.builder().loaderFactory(new Loaders())
                .maxBuffersPerDevice(10).build(), header(0, DEV, 0, 0, 10));
        assertThat(m.field()).isEqualTo("device-state.index");
        assertThat(m.value()).isEqualTo("10");
        m = refusal(any(), header(0, DEV, 0, 0, -1));
        assertThat(m.field()).isEqualTo("device-state.index");
        assertThat(m.value()).isEqualTo("4294967295");
    }

    @Test
    void refusesMalformedHeaders() throws IOException {
        assertThat(refusal(any(), header(0x02, DEV, 0, 0, 0)).field()).isEqualTo("device-state.flags");
        assertThat(refusal(any(), header(0x80, DEV, 0, 0, 0)).value()).isEqualTo("0x80");
        assertThat(refusal(any(), header(0, DEV, 1, 0, 0)).field()).isEqualTo("device-state.reserved");
        assertThat(refusal(any(), header(0, new byte[0], 0, 0, 0)).field()).isEqualTo("device-state.id-length");
        assertThat(refusal(any(), new byte[11]).field()).isEqualTo("device-state.header-length");
        byte[] longer = java.util.Arrays.copyOf(header(0, DEV, 0, 0, 0), 16);
        assertThat(refusal(any(), longer).field()).isEqualTo("device-state.header-length");
        byte[] shorter = header(0, DEV, 0, 0, 0);
        shorter[1] = 5;   // claims an id longer than the header
        MalformedPacketException m = refusal(any(), shorter);
        assertThat(m.field()).isEqualTo("device-state.header-length");
        assertThat(m.value()).isEqualTo("15");
        m = refusal(any(), header(0, new byte[] {(byte) 0xC3, 0x28}, 0, 0, 0));
        assertThat(m.field()).isEqualTo("device-state.id");
        assertThat(m.value()).isEqualTo("0xc328");
        assertThat(refusal(any(), header(0, new byte[] {'a', 0, 'b'}, 0, 0, 0)).field()).isEqualTo("device-state.id");
    }

    @Test
    void refusesBadLengths() throws IOException {
        ReceiverHarness h = harness(any(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(1);
        assertThatThrownBy(() -> deliver(ch, 1, 0, header(0, DEV, 0, 0, 0), new byte[4097]))
                .isInstanceOfSatisfying(MalformedPacketException.class, m -> {
                    assertThat(m.field()).isEqualTo("device-state.length");
                    assertThat(m.value()).isEqualTo("4097");
                    assertThat(m.getMessage()).contains("announced in the setup record");
                });
        assertThatThrownBy(() -> deliver(ch, 1, 0, header(0, DEV, 0, 0, 0), new byte[0]))
                .isInstanceOfSatisfying(MalformedPacketException.class, m -> {
                    assertThat(m.field()).isEqualTo("device-state.length");
                    assertThat(m.getMessage()).contains("only the last buffer");
                });
    }

    /**
     * A device that no loader takes: this receiver's configuration, not a damaged stream, so the
     * plug-in fails (PLUGIN_FAILED, not MALFORMED), naming the field and the escaped id.
     */
    @Test
    void failsOnUnknownDevices() throws IOException {
        MultiFdException m = unloadable(DeviceStatePayload.builder().loader("other", 0, new HashingLoader()).build(),
                header(1, "a\nb".getBytes(StandardCharsets.UTF_8), 0, 0, 0));
        assertThat(m.getMessage()).contains("field 'device-state.id' = a\\x0ab").contains("no loader factory");
        m = unloadable(DeviceStatePayload.builder().loaderFactory((id, i) -> null).build(), header(1, DEV, 0, 0, 0));
        assertThat(m.getMessage()).contains("field 'device-state.id' = dev").contains("declined");
        m = unloadable(DeviceStatePayload.builder().loader("dev", 1, new HashingLoader()).requireRegisteredDevices(false)
                .build(), header(1, DEV, 0, 2, 0));
        assertThat(m.getMessage()).contains("'dev' instance 2");
    }

    @Test
    void aFailingFactoryFailsTheMigration() throws IOException {
        ReceiverHarness h = harness(DeviceStatePayload.builder().loaderFactory((id, i) -> {
            throw new IllegalStateException("disk full");
        }).build(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        assertThatThrownBy(() -> deliver(ch, 0, 0, header(1, DEV, 0, 0, 0), new byte[1]))
                .isInstanceOfSatisfying(MultiFdException.class, e -> {
                    assertThat(e.code()).isEqualTo(ProtocolCode.PLUGIN_FAILED);
                    assertThat(e.getMessage()).contains("'dev' instance 0").contains("disk full");
                });
    }

    @Test
    void refusesMoreDevicesThanTheLimit() throws IOException {
        MalformedPacketException m = refusal(DeviceStatePayload.builder().loaderFactory(new Loaders()).maxDevices(2).build(),
                header(1, "a".getBytes(StandardCharsets.UTF_8), 0, 0, 0),
                header(1, "b".getBytes(StandardCharsets.UTF_8), 0, 0, 0),
                header(1, "c".getBytes(StandardCharsets.UTF_8), 0, 0, 0));
        assertThat(m.field()).isEqualTo("device-state.id");
        assertThat(m.getMessage()).contains("limit of 2 devices");
    }

    // ---------------------------------------------------------------- setup record

    @Test
    void refusesBadSetupRecords() {
        record Case(byte[] bytes, String field) {
        }
        List<Case> cases = List.of(
                new Case(new byte[] {0, 1, 0, 0, 0, 0, 16}, "device-state.setup.length"),
                new Case(new byte[] {0, 1, 0, 0, 0, 0, 16, 0, 0}, "device-state.setup.length"),
                new Case(new byte[] {0, 2, 0, 0, 0, 0, 16, 0}, "device-state.setup.version"),
                new Case(new byte[] {0, 1, 0, 1, 0, 0, 16, 0}, "device-state.setup.flags"),
                new Case(new byte[] {0, 1, 0, 0, 0, 0, 0, 0}, "device-state.setup.max-buffer-length"),
                new Case(new byte[] {0, 1, 0, 0, 0, 0x40, 0, 1}, "device-state.setup.max-buffer-length"),
                new Case(new byte[] {0, 1, 0, 0, (byte) 0xFF, 0, 0, 0}, "device-state.setup.max-buffer-length"));
        for (Case c : cases) {
            assertThatThrownBy(() -> new ReceiverHarness(any(), CONFIG, ByteBuffer.wrap(c.bytes())))
                    .as(c.field()).isInstanceOf(SetupRefusedException.class).hasMessageContaining(c.field());
        }
    }

    /** A receiver with nowhere to load device state refuses the session at its start, before any RAM moves. */
    @Test
    void aReceiverWithoutLoadersRefusesTheSetup() {
        assertThatThrownBy(() -> new ReceiverHarness(DeviceStatePayload.builder().build(), CONFIG,
                ByteBuffer.wrap(new byte[] {0, 1, 0, 0, 0, 0, 16, 0})))
                .isInstanceOf(SetupRefusedException.class).hasMessageContaining("no loader and no loader factory");
    }

    @Test
    void acceptsAnAnnouncedMaximumUpToThePacketCap() throws IOException {
        ByteBuffer record = ByteBuffer.allocate(10);
        record.position(2);
        record.putShort((short) 1).putShort((short) 0).putInt(4 << 20).flip().position(2);
        harnesses.add(new ReceiverHarness(any(), CONFIG, record));
    }

    // ---------------------------------------------------------------- refusals at the end

    @Test
    void aGapAtTheEndFailsTheFinish() throws IOException {
        ReceiverHarness h = harness(any(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        deliver(ch, 0, 0, header(0, DEV, 0, 0, 0), new byte[] {1});
        deliver(ch, 0, 1, header(1, DEV, 0, 0, 2), new byte[] {3});
        assertThatThrownBy(() -> h.receiver.finish(FINISH)).isInstanceOfSatisfying(MalformedPacketException.class, m -> {
            assertThat(m.field()).isEqualTo("device-state.index");
            assertThat(m.value()).isEqualTo("1");
            assertThat(m.getMessage()).contains("buffer 1 of device 'dev' instance 0 never arrived");
        });
    }

    @Test
    void aMissingLastBufferFailsTheFinish() throws IOException {
        ReceiverHarness h = harness(any(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        deliver(ch, 0, 0, header(0, DEV, 0, 0, 0), new byte[] {1});
        deliver(ch, 0, 1, header(0, DEV, 0, 0, 1), new byte[] {2});
        assertThatThrownBy(() -> h.receiver.finish(FINISH)).isInstanceOfSatisfying(MalformedPacketException.class, m -> {
            assertThat(m.field()).isEqualTo("device-state.last");
            assertThat(m.getMessage()).contains("never arrived").contains("2 buffers");
        });
    }

    @Test
    void aRegisteredDeviceWithoutStateFailsTheFinishUnlessOptional() throws IOException {
        HashingLoader missing = new HashingLoader();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("gpu0", 0, missing).build(), 4096);
        assertThatThrownBy(() -> h.receiver.finish(FINISH)).isInstanceOfSatisfying(MalformedPacketException.class, m -> {
            assertThat(m.field()).isEqualTo("device-state.id");
            assertThat(m.value()).isEqualTo("gpu0");
            assertThat(m.getMessage()).contains("registered loader but no state arrived");
        });
        h.receiver.abort(new IOException("finish failed"));
        assertThat(missing.aborted.get()).as("the registered loader is told").hasMessage("finish failed");

        HashingLoader optional = new HashingLoader();
        ReceiverHarness ok = harness(DeviceStatePayload.builder().loader("gpu0", 0, optional)
                .requireRegisteredDevices(false).build(), 4096);
        ok.receiver.finish(FINISH);
        ok.close();
        assertThat(optional.aborted.get()).isNull();
    }

    // ---------------------------------------------------------------- caps and back-pressure

    @Test
    void outOfOrderBytesBeyondTheCapFailWithoutBlocking() throws IOException {
        int len = 64 << 10;
        ReceiverHarness h = harness(DeviceStatePayload.builder().loaderFactory(new Loaders())
                .maxOutOfOrderBytesPerDevice(1 << 20).build(), len);
        PayloadChannelReceiver ch = h.receiver.openChannel(3);
        int accepted = 0;
        Throwable refused = null;
        for (int i = 1; i < 100 && refused == null; i++) {
            try {
                deliver(ch, 3, i, header(0, DEV, 0, 0, i), new byte[len]);   // index 0 never comes
                accepted++;
            } catch (MalformedPacketException e) {
                refused = e;
            }
        }
        assertThat(accepted).isEqualTo((1 << 20) / (len + 128));
        assertThat(refused).isInstanceOfSatisfying(MalformedPacketException.class, m -> {
            assertThat(m.field()).isEqualTo("device-state.queued-bytes");
            assertThat(m.value()).isEqualTo(String.valueOf(16L * (len + 128)));
            assertThat(m.getMessage()).contains("buffer 16 arrived, buffer 0 is still missing");
        });
        assertThat(h.impl().queuedBytes("dev", 0)[0]).isEqualTo(15L * (len + 128));
    }

    @Test
    void aFilledGapMovesQueuedBuffersToTheLoader() throws Exception {
        Loaders loaders = new Loaders();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loaderFactory(loaders).build(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        for (int i = 1; i <= 5; i++) {
            deliver(ch, 0, i, header(i == 5 ? 1 : 0, DEV, 0, 0, i), new byte[] {(byte) i});
        }
        assertThat(h.impl().queuedBytes("dev", 0)[0]).isEqualTo(5L * (1 + 128));
        deliver(ch, 0, 0, header(0, DEV, 0, 0, 0), new byte[] {0});
        h.receiver.finish(FINISH);
        assertThat(loaders.made.get("dev#0").hash()).isEqualTo(HashingLoader.sha256(new byte[] {0, 1, 2, 3, 4, 5}));
        assertThat(h.impl().queuedBytes("dev", 0)).containsExactly(0, 0, 0);
    }

    @Test
    void aSlowLoaderHoldsMemoryWithinTheBacklogCap() throws Exception {
        int len = 64 << 10;
        long cap = 256 << 10;
        int buffers = 40;
        GatedLoader loader = new GatedLoader();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 0, loader)
                .maxBacklogBytesPerDevice(cap).build(), len);
        AtomicLong maxInOrder = new AtomicLong();
        AtomicLong maxOutOfOrder = new AtomicLong();
        loader.onLoad = () -> {
            long[] q = h.impl().queuedBytes("dev", 0);
            maxOutOfOrder.accumulateAndGet(q[0], Math::max);
            maxInOrder.accumulateAndGet(q[1], Math::max);
        };
        byte[] state = random(42, buffers * len);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        AtomicLong delivered = new AtomicLong();
        Future<?> channel = pool(1).submit(() -> {
            for (int i = 0; i < buffers; i++) {
                deliver(ch, 0, i, header(i == buffers - 1 ? 1 : 0, DEV, 0, 0, i),
                        java.util.Arrays.copyOfRange(state, i * len, (i + 1) * len));
                delivered.incrementAndGet();
            }
            return null;
        });
        // the loader holds buffer 0; buffers 1..3 fill the backlog; buffer 4 waits
        awaitTrue("the channel waits for backlog space", () -> h.impl().queuedBytes("dev", 0)[2] == 1);
        assertThat(delivered.get()).isEqualTo(4);
        assertThat(h.impl().queuedBytes("dev", 0)[1]).isEqualTo(4L * len);
        for (int i = 0; i < buffers; i++) {
            loader.permits.release();
        }
        channel.get(30, TimeUnit.SECONDS);
        h.receiver.finish(FINISH);
        assertThat(loader.hash()).isEqualTo(HashingLoader.sha256(state));
        assertThat(maxInOrder.get()).isLessThanOrEqualTo(cap + len);
        assertThat(maxOutOfOrder.get()).isZero();
    }

    @Test
    void inOrderBuffersOnOtherChannelsWaitTooInsteadOfQueueingOutOfOrder() throws Exception {
        // Slow loader; channels 1, 2, 3 and then 0 begin buffers 1, 2, 3 and 4 while the loader
        // holds buffer 0. Every lower index has begun, so each is in order and waits (back-pressure)
        // instead of filling the out-of-order queue, which stays empty.
        int len = 64 << 10;
        GatedLoader loader = new GatedLoader();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 0, loader)
                .maxBacklogBytesPerDevice(len).maxOutOfOrderBytesPerDevice(1 << 20).build(), len);
        byte[] state = random(7, 5 * len);
        PayloadChannelReceiver[] ch = new PayloadChannelReceiver[4];
        for (int c = 0; c < 4; c++) {
            ch[c] = h.receiver.openChannel(c);
        }
        deliver(ch[0], 0, 0, header(0, DEV, 0, 0, 0), java.util.Arrays.copyOf(state, len));
        ExecutorService pool = pool(4);
        List<Future<?>> futures = new ArrayList<>();
        int[] channelOf = {0, 1, 2, 3, 0};
        for (int i = 1; i <= 4; i++) {
            int index = i;
            int c = channelOf[i];
            futures.add(pool.submit(() -> {
                deliver(ch[c], c, index, header(index == 4 ? 1 : 0, DEV, 0, 0, index),
                        java.util.Arrays.copyOfRange(state, index * len, (index + 1) * len));
                return null;
            }));
            awaitTrue(index + " channels wait", () -> h.impl().queuedBytes("dev", 0)[2] == index);
            assertThat(h.impl().queuedBytes("dev", 0)[0]).as("out-of-order bytes").isZero();
        }
        loader.permits.release(5);
        for (Future<?> f : futures) {
            f.get(30, TimeUnit.SECONDS);
        }
        h.receiver.finish(FINISH);
        assertThat(loader.hash()).isEqualTo(HashingLoader.sha256(state));
    }

    @Test
    void aLoaderThatMakesNoProgressTimesTheWaitingChannelOut() throws Exception {
        MultiFdConfig fast = MultiFdConfig.builder().channels(1).ioTimeout(Duration.ofMillis(200)).build();
        GatedLoader loader = new GatedLoader();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 0, loader)
                .maxBacklogBytesPerDevice(1).build(), fast, 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        deliver(ch, 0, 0, header(0, DEV, 0, 0, 0), new byte[100]);    // the loader takes it and stalls
        assertThatThrownBy(() -> deliver(ch, 0, 1, header(1, DEV, 0, 0, 1), new byte[100]))
                .isInstanceOfSatisfying(ChannelTimeoutException.class, e -> assertThat(e.getMessage())
                        .contains("channel 0").contains("'dev' instance 0").contains("made no progress for 200 ms").contains("buffer 1 waited"));
        h.receiver.abort(new IOException("timed out"));
        assertThat(loader.aborted.get()).hasMessage("timed out");
    }

    // ---------------------------------------------------------------- failure and abort

    @Test
    void aLoaderExceptionFailsTheMigrationNamingTheDeviceAndIndex() throws Exception {
        HashingLoader failing = new HashingLoader() {
            @Override
            public void load(ByteBuffer buffer) throws Exception {
                if (loads.get() == 2) {
                    throw new IllegalStateException("device rejected its state");
                }
                super.load(buffer);
            }
        };
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 0, failing).build(), 4096);
        PayloadChannelReceiver ch = h.receiver.openChannel(0);
        for (int i = 0; i < 4; i++) {
            try {
                deliver(ch, 0, i, header(i == 3 ? 1 : 0, DEV, 0, 0, i), new byte[] {(byte) i});
            } catch (MigrationFailedException e) {
                // the load thread may fail on buffer 2 before buffer 3 is delivered: then the
                // receiver, already aborted, refuses it with that failure
                assertThat(i).as("only a buffer after the failing one may be refused").isEqualTo(3);
                assertThat(e).hasMessageContaining("device rejected its state");
            }
        }
        awaitTrue("the failure is reported", () -> h.failed() != null);
        assertThat(h.failed()).isInstanceOfSatisfying(MultiFdException.class, e -> {
            assertThat(e.code()).isEqualTo(ProtocolCode.PLUGIN_FAILED);
            assertThat(e.getMessage()).contains("'dev' instance 0").contains("failed at buffer 2")
                    .contains("device rejected its state");
        });
        assertThatThrownBy(() -> h.receiver.finish(FINISH)).isInstanceOf(MigrationFailedException.class)
                .hasRootCauseMessage("device rejected its state");
        assertThat(failing.completed).isFalse();
        awaitTrue("fail() returned", () -> h.context.failingThreadInterrupted().isPresent());
        assertThat(h.context.failingThreadInterrupted()).as("the load thread that reported the failure is not interrupted by the abort it caused").contains(false);
    }

    @Test
    void aFailingCompleteFailsTheMigration() throws Exception {
        HashingLoader failing = new HashingLoader() {
            @Override
            public void complete() {
                throw new IllegalStateException("config space refused");
            }
        };
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 0, failing).build(), 4096);
        deliver(h.receiver.openChannel(0), 0, 0, header(1, DEV, 0, 0, 0), new byte[] {1});
        assertThatThrownBy(() -> h.receiver.finish(FINISH)).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("failed to complete").hasRootCauseMessage("config space refused");
        // the load thread records the failure before it reports it: finish() may see it first
        awaitTrue("the failure is reported", () -> h.failed() != null);
    }

    @Test
    void abortWakesWaitingChannelsAndLoadersAndEveryThreadEnds() throws Exception {
        GatedLoader slow = new GatedLoader();          // blocked in load()
        HashingLoader starved = new HashingLoader();   // waits for buffer 0, which never comes
        HashingLoader unused = new HashingLoader();    // registered, nothing arrives
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("slow", 0, slow).loader("starved", 0, starved)
                .loader("unused", 0, unused).maxBacklogBytesPerDevice(1).build(), 4096);
        byte[] slowId = "slow".getBytes(StandardCharsets.UTF_8);
        PayloadChannelReceiver ch0 = h.receiver.openChannel(0);
        PayloadChannelReceiver ch1 = h.receiver.openChannel(1);
        deliver(ch1, 1, 0, header(0, "starved".getBytes(StandardCharsets.UTF_8), 0, 0, 1), new byte[10]);
        AtomicReference<Throwable> channelError = new AtomicReference<>();
        CountDownLatch channelEnded = new CountDownLatch(1);
        Thread channel = new Thread(() -> {
            try {
                for (int i = 0; i < 10; i++) {
                    deliver(ch0, 0, i, header(0, slowId, 0, 0, i), new byte[100]);
                }
            } catch (Throwable t) {
                channelError.set(t);
            } finally {
                channelEnded.countDown();
            }
        }, "test-channel-0");
        channel.start();
        awaitTrue("the channel waits for the slow loader", () -> h.impl().queuedBytes("slow", 0)[2] == 1);

        IOException cause = new IOException("peer vanished");
        h.receiver.abort(cause);
        assertThat(channelEnded.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(channelError.get()).isInstanceOf(MigrationFailedException.class).hasCause(cause);
        assertThat(slow.aborted.get()).isSameAs(cause);
        assertThat(starved.aborted.get()).isSameAs(cause);
        assertThat(unused.aborted.get()).isSameAs(cause);
        assertThatThrownBy(() -> h.receiver.finish(FINISH)).isInstanceOf(MigrationFailedException.class).hasCause(cause);
        assertThatThrownBy(() -> deliver(ch1, 1, 1, header(1, DEV, 0, 0, 0), new byte[1]))
                .isInstanceOf(MigrationFailedException.class);
        h.receiver.close();
        assertThat(h.aliveThreads()).isEmpty();
        channel.join(10_000);
    }

    @Test
    void abortWakesAWaitingFinish() throws Exception {
        GatedLoader slow = new GatedLoader();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("slow", 0, slow).build(), 4096);
        deliver(h.receiver.openChannel(0), 0, 0, header(1, "slow".getBytes(StandardCharsets.UTF_8), 0, 0, 0), new byte[5]);
        Future<?> finish = pool(1).submit(() -> {
            h.receiver.finish(FINISH);
            return null;
        });
        awaitTrue("the loader is blocked in load", () -> h.aliveThreads().stream()
                .anyMatch(t -> t.getState() == Thread.State.WAITING));
        IOException cause = new IOException("cancelled");
        h.receiver.abort(cause);
        Throwable t = catchThrowable(() -> finish.get(10, TimeUnit.SECONDS));
        assertThat(t).hasCauseInstanceOf(MigrationFailedException.class).hasRootCause(cause);
        h.receiver.close();
        assertThat(h.aliveThreads()).isEmpty();
        assertThat(slow.completed).isFalse();
    }

    @Test
    void finishTimesOutOnALoaderThatNeverFinishes() throws Exception {
        GatedLoader slow = new GatedLoader();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("slow", 0, slow).build(), 4096);
        deliver(h.receiver.openChannel(0), 0, 0, header(1, "slow".getBytes(StandardCharsets.UTF_8), 0, 0, 0), new byte[5]);
        assertThatThrownBy(() -> h.receiver.finish(Duration.ofMillis(100))).isInstanceOf(ChannelTimeoutException.class)
                .hasMessageContaining("'slow' instance 0").hasMessageContaining("did not finish within PT0.1S");
    }

    @Test
    void closeWithoutFinishAbortsAndEndsTheLoadThreads() throws Exception {
        HashingLoader loader = new HashingLoader();
        ReceiverHarness h = harness(DeviceStatePayload.builder().loader("dev", 0, loader).build(), 4096);
        deliver(h.receiver.openChannel(0), 0, 0, header(0, DEV, 0, 0, 0), new byte[5]);
        h.receiver.close();
        assertThat(h.aliveThreads()).isEmpty();
        assertThat(loader.aborted.get()).isInstanceOf(MultiFdException.class)
                .satisfies(e -> assertThat(((MultiFdException) e).code()).isEqualTo(ProtocolCode.ABORTED));
    }
}
