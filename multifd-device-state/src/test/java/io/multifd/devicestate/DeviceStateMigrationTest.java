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

import io.multifd.api.DataChecksum;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.api.SessionId;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.tls.TlsConfig;
import io.multifd.core.transport.tls.TlsTransport;
import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.PostCopy;
import io.multifd.ram.PostcopyAccess;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;
import io.multifd.ram.RoundListener;
import io.multifd.ram.RoundStats;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Device state through the real engine ({@link MultiFdSender} / {@link MultiFdReceiver}) over TCP
 * loopback and the delaying in-memory transport: many devices saved from many threads at once,
 * with a sync in the middle of a device, alongside RAM, and failures reported
 * end to end. Every test checks that every multifd thread ended.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeviceStateMigrationTest {

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private ExecutorService pool;

    @AfterEach
    void everyThreadEnds() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        assertNoMultifdThreads();
    }

    static void assertNoMultifdThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> alive;
        do {
            alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .map(Thread::getName).filter(n -> n.startsWith("multifd-")).toList();
            if (alive.isEmpty()) {
                return;
            }
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("multifd-")) {
                    t.join(100); // wait for the threads themselves, not for a while
                }
            }
        } while (System.nanoTime() < deadline);
        assertThat(alive).as("multifd threads alive after close").isEmpty();
    }

    /** One migration's two ends. */
    final class Pair {
        final MultiFdSender sender;
        final MultiFdReceiver receiver;

        Pair(MultiFdSender sender, MultiFdReceiver receiver) {
            this.sender = sender;
            this.receiver = receiver;
        }

        Pair(MultiFdConfig config, TransportListener listener, TransportConnector connector, DeviceStatePayload receiving) {
            // Core's Builder.payload(instance) clashes with the discovered provider of the same
            // class (reported to the lead); an explicit registry replaces it as documented.
            receiver = MultiFdReceiver.builder(config, listener)
                    .registry(PluginRegistry.builder().discover().add(receiving).build()).build();
            closeables.add(receiver);
            sender = MultiFdSender.builder(config, connector).registry(PluginRegistry.discover()).build();
            closeables.add(sender);
        }
    }

    /** Finishes the sender; on failure attaches the receiver's own cause for the report. */
    static MigrationStats finish(Pair p) throws IOException {
        try {
            return p.sender.finish();
        } catch (IOException | RuntimeException e) {
            try {
                p.receiver.await(Duration.ofSeconds(10));
            } catch (IOException | RuntimeException r) {
                e.addSuppressed(r);
            }
            throw e;
        }
    }

    Pair tcp(MultiFdConfig config, DeviceStatePayload receiving) throws IOException {
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(l);
        return new Pair(config, l, TcpTransport.connector(l.localAddress()), receiving);
    }

    /** Mutual TLS over loopback TCP, the test identities under {@code tls/} pinned both ways. */
    Pair tls(MultiFdConfig config, DeviceStatePayload receiving) throws Exception {
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(l);
        return new Pair(config, TlsTransport.listener(l, tlsConfig("receiver", "sender")),
                TlsTransport.tcpConnector(l.localAddress(), tlsConfig("sender", "receiver")), receiving);
    }

    static TlsConfig tlsConfig(String me, String peer) throws Exception {
        return TlsConfig.builder().identityPem(resource(me + ".crt"), resource(me + ".key"))
                .trustPem(resource(peer + ".crt")).build();
    }

    static java.nio.file.Path resource(String name) throws Exception {
        return java.nio.file.Path.of(DeviceStateMigrationTest.class.getResource("/tls/" + name).toURI());
    }

    /** A device to save: its size, how it is handed to the saver, and its expected hash. */
    record Device(String id, int instance, long size, String variant) {
    }

    /** Saves a device with the variant named, returns the expected hash. */
    static String save(DeviceStateSaver saver, Device d, long seed) throws IOException {
        StateGen gen = new StateGen(seed, d.size());
        switch (d.variant()) {
            case "array" -> saver.save(d.id(), d.instance(), gen.bytes());
            case "heap" -> saver.save(d.id(), d.instance(), ByteBuffer.wrap(gen.bytes()));
            case "direct" -> {
                byte[] b = gen.bytes();
                ByteBuffer direct = ByteBuffer.allocateDirect(b.length);
                direct.put(b).flip();
                saver.save(d.id(), d.instance(), direct);
            }
            case "stream" -> assertThat(saver.save(d.id(), d.instance(), gen.stream())).isEqualTo(d.size());
            case "writer" -> assertThat(saver.save(d.id(), d.instance(), gen::writeTo)).isEqualTo(d.size());
            default -> throw new AssertionError(d.variant());
        }
        return gen.hash();
    }

    static final List<Device> EIGHT = List.of(
            new Device("empty", 0, 0, "array"),
            new Device("one", 0, 1, "heap"),
            new Device("0000:00:02.0/vfio", 1, 4095, "array"),
            new Device("exact-cap", 0, 1 << 20, "direct"),
            new Device("cap-plus-one", 0, (1 << 20) + 1, "stream"),
            new Device("seven", 0, 7L << 20, "writer"),
            new Device("gpu-33", 3, 33L << 20, "stream"),
            new Device("gpu-100", 0, 100L << 20, "writer"));

    /** Loaders made on demand, by device. */
    static final class Loaders implements DeviceStateLoaderFactory {
        final Map<String, HashingLoader> made = new ConcurrentHashMap<>();

        @Override
        public DeviceStateLoader create(String deviceId, int instance) {
            HashingLoader l = new HashingLoader();
            if (made.putIfAbsent(deviceId + "#" + instance, l) != null) {
                throw new IllegalStateException("factory called twice for " + deviceId);
            }
            return l;
        }
    }

    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = {"tcp", "tls"})
    void eightDevicesFromEightThreadsWithFourChannels(String transport) throws Exception {
        long seed = 20260601L;
        MultiFdConfig config = MultiFdConfig.builder().channels(4).build();
        Map<String, HashingLoader> registered = new ConcurrentHashMap<>();
        DeviceStatePayload.Builder rb = DeviceStatePayload.builder();
        Loaders factory = new Loaders();
        for (Device d : EIGHT.subList(0, 4)) {   // half registered, half from the factory
            HashingLoader l = new HashingLoader();
            registered.put(d.id() + "#" + d.instance(), l);
            rb.loader(d.id(), d.instance(), l);
        }
        Pair p = transport.equals("tls") ? tls(config, rb.loaderFactory(factory).build())
                : tcp(config, rb.loaderFactory(factory).build());
        p.receiver.start();
        DeviceStateSaver saver = DeviceStateSaver.open(p.sender);
        p.sender.connect();

        pool = Executors.newFixedThreadPool(EIGHT.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> hashes = new ArrayList<>();
        for (int i = 0; i < EIGHT.size(); i++) {
            Device d = EIGHT.get(i);
            long s = seed + i;
            hashes.add(pool.submit(() -> {
                go.await();
                return save(saver, d, s);
            }));
        }
        go.countDown();
        List<String> expected = new ArrayList<>();
        for (Future<String> f : hashes) {
            expected.add(f.get(90, TimeUnit.SECONDS));
        }
        MigrationStats sent = finish(p);
        MigrationStats received = p.receiver.await(Duration.ofSeconds(30));

        long totalBytes = EIGHT.stream().mapToLong(Device::size).sum();
        for (int i = 0; i < EIGHT.size(); i++) {
            Device d = EIGHT.get(i);
            String key = d.id() + "#" + d.instance();
            HashingLoader l = i < 4 ? registered.get(key) : factory.made.get(key);
            assertThat(l).as(key).isNotNull();
            assertThat(l.completed).as(key + " completed").isTrue();
            assertThat(l.bytes).as(key + " bytes").isEqualTo(d.size());
            assertThat(l.hash()).as(key + " sha-256").isEqualTo(expected.get(i));
        }
        assertThat(factory.made).hasSize(4);
        assertThat(saver.devicesSaved()).isEqualTo(8);
        assertThat(saver.bytesSent()).isEqualTo(totalBytes);
        long buffers = EIGHT.stream().mapToLong(d -> Math.max(1, (d.size() + (1 << 20) - 1) >> 20)).sum();
        assertThat(saver.buffersSent()).isEqualTo(buffers);
        PayloadStats out = sent.payload("device-state").orElseThrow();
        PayloadStats in = received.payload("device-state").orElseThrow();
        assertThat(out.packets()).isEqualTo(buffers);
        assertThat(out.rawBytes()).isEqualTo(totalBytes);
        assertThat(out.items()).isEqualTo(buffers);
        assertThat(in.packets()).isEqualTo(buffers);
        assertThat(in.rawBytes()).isEqualTo(totalBytes);
        assertThat(in.items()).isEqualTo(buffers);
        assertThat(sent.perChannel()).as("every channel carried device state")
                .allSatisfy(c -> assertThat(c.packets()).isPositive());
    }

    @Test
    void theLoaderThreadsComeFromTheReceiversThreadFactoryAndCarryTheSessionId() throws Exception {
        SessionId session = SessionId.parse("0badcafe-0000-0000-0000-000000000001");
        MultiFdConfig config = MultiFdConfig.builder().channels(2).sessionId(session).build();
        List<Thread> made = new CopyOnWriteArrayList<>();
        ThreadFactory counting = r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            made.add(t);
            return t;
        };
        HashingLoader first = new HashingLoader();
        HashingLoader second = new HashingLoader();
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(l);
        MultiFdReceiver receiver = MultiFdReceiver.builder(config, l).threadFactory(counting)
                .registry(PluginRegistry.builder().discover()
                        .add(DeviceStatePayload.builder().loader("nic", 0, first).loader("disk", 1, second).build())
                        .build()).build();
        closeables.add(receiver);
        MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(l.localAddress()))
                .registry(PluginRegistry.discover()).build();
        closeables.add(sender);
        receiver.start();
        DeviceStateSaver saver = DeviceStateSaver.open(sender);
        sender.connect();
        String nic = save(saver, new Device("nic", 0, 3 << 20, "array"), 5);
        String disk = save(saver, new Device("disk", 1, 1 << 20, "heap"), 6);
        sender.finish();
        receiver.await(Duration.ofSeconds(30));
        receiver.close();

        assertThat(first.hash()).isEqualTo(nic);
        assertThat(second.hash()).isEqualTo(disk);
        assertThat(first.loadThread).startsWith("multifd-recv-0badcafe-load-").endsWith("nic#0");
        assertThat(second.loadThread).startsWith("multifd-recv-0badcafe-load-").endsWith("disk#1");
        List<String> names = made.stream().map(Thread::getName).toList();
        assertThat(names).as("every receiver thread came from the factory")
                .contains("multifd-recv-0badcafe-main", "multifd-recv-0badcafe-watchdog",
                        "multifd-recv-0badcafe-ch0", "multifd-recv-0badcafe-ch1", first.loadThread, second.loadThread,
                        "multifd-recv-0badcafe-handshake")
                .hasSize(8); // one short-lived handshake thread per accepted connection
        assertThat(made).as("threads alive after close()").noneMatch(Thread::isAlive);
    }

    @Test
    void aSyncInTheMiddleOfADeviceOverDelayedChannelsCompletes() throws Exception {
        long seed = 77;
        MultiFdConfig config = MultiFdConfig.builder().channels(4).build();
        InMemoryTransport t = InMemoryTransport.builder().seed(seed).maxDelay(Duration.ofMillis(3)).build();
        Loaders factory = new Loaders();
        Pair p = new Pair(config, t.listener(), t.connector(),
                DeviceStatePayload.builder().loaderFactory(factory).maxBacklogBytesPerDevice(128 << 10).build());
        p.receiver.start();
        DeviceStateSaver saver = DeviceStateSaver.open(p.sender, 32 << 10);
        p.sender.connect();

        pool = Executors.newFixedThreadPool(3);
        List<Future<String>> hashes = new ArrayList<>();
        for (int dev = 0; dev < 3; dev++) {
            int d = dev;
            hashes.add(pool.submit(() -> {
                StateGen gen = new StateGen(seed + d, 3L << 20);
                saver.save("dev" + d, 0, out -> {
                    byte[] chunk = new byte[32 << 10];
                    int n;
                    int buffersWritten = 0;
                    while ((n = gen.next(chunk, chunk.length)) > 0) {
                        out.write(chunk, 0, n);
                        if (++buffersWritten % 25 == 0) {
                            p.sender.sync();   // a sync between buffers k and k+1 of this device
                        }
                    }
                });
                return gen.hash();
            }));
        }
        List<String> expected = new ArrayList<>();
        for (Future<String> f : hashes) {
            expected.add(f.get(90, TimeUnit.SECONDS));
        }
        MigrationStats sent = finish(p);
        p.receiver.await(Duration.ofSeconds(30));
        for (int d = 0; d < 3; d++) {
            HashingLoader l = factory.made.get("dev" + d + "#0");
            assertThat(l.hash()).as("dev" + d).isEqualTo(expected.get(d));
        }
        assertThat(sent.syncs()).isGreaterThanOrEqualTo(3 * 3);
    }

    @Test
    void postcopyCarriesA1MiBDeviceStateAtTheSwitchOver() throws Exception {
        long ramSize = 16L << 20;
        RamBlock source = RamBlock.allocate("pc.ram", ramSize);
        SplittableRandom r = new SplittableRandom(11);
        for (long off = 0; off < ramSize; off += 8) {
            source.putLong(off, r.nextLong());
        }
        RamBlock destination = RamBlock.allocate("pc.ram", ramSize);
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        Loaders factory = new Loaders();
        PostcopyAccess access = new PostcopyAccess();
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(l);
        MultiFdReceiver receiver = MultiFdReceiver.builder(config, l).registry(PluginRegistry.builder().discover()
                .add(RamPayload.builder().destination(RamDestination.of(destination)).postcopy(access).build())
                .add(DeviceStatePayload.builder().loaderFactory(factory).build()).build()).build();
        closeables.add(receiver);
        MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(l.localAddress()))
                .registry(PluginRegistry.discover()).build();
        closeables.add(sender);
        receiver.start();
        RamSaver ram = RamSaver.openForPostcopy(sender, List.of(source));
        DeviceStateSaver devices = DeviceStateSaver.open(sender);
        sender.connect();
        DirtyBitmap dirty = new DirtyBitmap(source);
        ram.roundListener(new RoundListener() {
            @Override
            public void onRoundFinished(RoundStats stats) { // the guest changed every fourth page meanwhile
                for (long off = 0; off < ramSize; off += 4L * RamBlock.DEFAULT_PAGE_SIZE) {
                    source.putLong(off, ~source.getLong(off));
                    dirty.mark(off);
                }
            }
        });
        String[] expected = new String[1];
        PostCopy.Result result = PostCopy.builder(ram, List.of(dirty)).afterRounds(1)
                .pause((converged, pages, estimate) -> { })
                .switchover(() -> expected[0] = save(devices, new Device("cpu", 0, 1L << 20, "array"), 3))
                .build().run();
        MigrationStats sent = finish(new Pair(sender, receiver));
        receiver.await(Duration.ofSeconds(30));
        assertThat(result.postcopy()).isTrue();
        assertThat(result.missingPages()).isEqualTo(ramSize / RamBlock.DEFAULT_PAGE_SIZE / 4);
        assertThat(access.isReleased()).isTrue();
        byte[] a = new byte[1 << 20];
        byte[] b = new byte[1 << 20];
        for (long off = 0; off < ramSize; off += a.length) {
            source.get(off, a, 0, a.length);
            destination.get(off, b, 0, b.length);
            assertThat(b).as("RAM at offset " + off).isEqualTo(a);
        }
        assertThat(factory.made.get("cpu#0").hash()).isEqualTo(expected[0]);
        assertThat(sent.payload("device-state").orElseThrow().rawBytes()).isEqualTo(1L << 20);
    }

    @Test
    void ramByteExactAndDeviceStateInOneMigration() throws Exception {
        long seed = 5;
        long ramSize = 96L << 20;
        RamBlock source = RamBlock.allocate("pc.ram", ramSize);
        SplittableRandom r = new SplittableRandom(seed);
        for (long off = 0; off < ramSize; off += 8) {
            // a quarter of the pages stay zero (sent as offsets only)
            if ((off / RamBlock.DEFAULT_PAGE_SIZE) % 4 != 0) {
                source.putLong(off, r.nextLong());
            }
        }
        RamBlock destination = RamBlock.allocate("pc.ram", ramSize);
        MultiFdConfig config = MultiFdConfig.builder().channels(4).build();
        Loaders factory = new Loaders();
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        closeables.add(l);
        MultiFdReceiver receiver = MultiFdReceiver.builder(config, l).registry(PluginRegistry.builder().discover()
                .add(RamPayload.receiving(RamDestination.of(destination)))
                .add(DeviceStatePayload.builder().loaderFactory(factory).build()).build()).build();
        closeables.add(receiver);
        MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(l.localAddress()))
                .registry(PluginRegistry.discover()).build();
        closeables.add(sender);
        Pair p = new Pair(sender, receiver);
        receiver.start();
        RamSaver ram = RamSaver.open(sender, source);
        DeviceStateSaver saver = DeviceStateSaver.open(sender);
        sender.connect();

        pool = Executors.newFixedThreadPool(5);
        Future<?> ramDone = pool.submit(() -> {
            ram.saveAll();     // one round, ending with a sync, while the devices are saved
            return null;
        });
        List<Future<String>> hashes = new ArrayList<>();
        for (int d = 0; d < 4; d++) {
            int dev = d;
            hashes.add(pool.submit(() -> save(saver, new Device("dev" + dev, dev, (5L << 20) * dev + 3, "writer"), seed + dev)));
        }
        ramDone.get(90, TimeUnit.SECONDS);
        List<String> expected = new ArrayList<>();
        for (Future<String> f : hashes) {
            expected.add(f.get(90, TimeUnit.SECONDS));
        }
        MigrationStats sent = finish(p);
        receiver.await(Duration.ofSeconds(30));

        byte[] a = new byte[1 << 20];
        byte[] b = new byte[1 << 20];
        for (long off = 0; off < ramSize; off += a.length) {
            source.get(off, a, 0, a.length);
            destination.get(off, b, 0, b.length);
            assertThat(b).as("RAM at offset " + off).isEqualTo(a);
        }
        for (int d = 0; d < 4; d++) {
            assertThat(factory.made.get("dev" + d + "#" + d).hash()).isEqualTo(expected.get(d));
        }
        assertThat(sent.payload("ram").orElseThrow().rawBytes()).isEqualTo(ramSize * 3 / 4);
        assertThat(sent.payload("device-state").orElseThrow().rawBytes()).isEqualTo(saver.bytesSent());
    }

    @ParameterizedTest(name = "{0}, checksum {1}")
    @CsvSource({"none, ENCODED", "none, ALL", "zstd, ENCODED", "lz4, ENCODED", "zlib, ENCODED", "zstd, ALL"})
    void everyCodecCarriesDeviceState(String codec, DataChecksum checksum) throws Exception {
        long seed = codec.hashCode();
        MultiFdConfig config = MultiFdConfig.builder().channels(4).codec(codec).dataChecksum(checksum).build();
        InMemoryTransport t = InMemoryTransport.create();
        Loaders factory = new Loaders();
        Pair p = new Pair(config, t.listener(), t.connector(), DeviceStatePayload.builder().loaderFactory(factory).build());
        p.receiver.start();
        DeviceStateSaver saver = DeviceStateSaver.open(p.sender, 256 << 10);
        p.sender.connect();
        List<Device> devices = List.of(new Device("empty", 0, 0, "array"), new Device("odd", 1, (3L << 20) + 7, "writer"),
                new Device("big", 2, 9L << 20, "stream"));
        pool = Executors.newFixedThreadPool(devices.size());
        List<Future<String>> hashes = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            Device d = devices.get(i);
            long s = seed + i;
            hashes.add(pool.submit(() -> save(saver, d, s)));
        }
        List<String> expected = new ArrayList<>();
        for (Future<String> f : hashes) {
            expected.add(f.get(60, TimeUnit.SECONDS));
        }
        MigrationStats sent = finish(p);
        p.receiver.await(Duration.ofSeconds(30));
        for (int i = 0; i < devices.size(); i++) {
            Device d = devices.get(i);
            assertThat(factory.made.get(d.id() + "#" + d.instance()).hash()).as(codec + " " + d.id()).isEqualTo(expected.get(i));
        }
        PayloadStats ds = sent.payload("device-state").orElseThrow();
        assertThat(ds.rawBytes()).isEqualTo((3L << 20) + 7 + (9L << 20));
        if (!codec.equals("none")) {
            assertThat(ds.wireBytes()).as("the states are half runs: " + codec + " shrinks them").isLessThan(ds.rawBytes());
        }
    }

    @Test
    void aLoaderExceptionFailsBothSidesNamingTheDevice(CapturedLogs logs) throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        HashingLoader failing = new HashingLoader() {
            @Override
            public void load(ByteBuffer buffer) throws Exception {
                if (loads.get() == 3) {
                    throw new IllegalStateException("vfio: bad state blob");
                }
                super.load(buffer);
            }
        };
        Pair p = tcp(config, DeviceStatePayload.builder().loader("nic", 0, failing).build());
        p.receiver.start();
        DeviceStateSaver saver = DeviceStateSaver.open(p.sender, 4096);
        p.sender.connect();
        Throwable sendSide = null;
        try {
            saver.save("nic", 0, new byte[100_000]);
            p.sender.finish();
        } catch (IOException e) {
            sendSide = e;
        }
        assertThat(sendSide).as("the sender learns of the failure").isNotNull();
        assertThat(sendSide).isInstanceOf(MigrationFailedException.class);
        assertThat(rootMessages(sendSide)).as("the receiver's ERROR names the device")
                .contains("'nic' instance 0").contains("failed at buffer 3");
        assertThatThrownBy(() -> p.receiver.await(Duration.ofSeconds(30))).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("'nic' instance 0").hasMessageContaining("vfio: bad state blob");
        assertThat(failing.completed).isFalse();
        assertThat(failing.aborted.get()).isNotNull();
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: device-state: the loader of device 'nic' instance 0 failed at buffer 3: "
                + "java.lang.IllegalStateException: vfio: bad state blob", Duration.ofSeconds(10));
    }

    @Test
    void anIncompleteDeviceFailsTheMigrationAtTheEnd(CapturedLogs logs) throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        Loaders factory = new Loaders();
        Pair p = tcp(config, DeviceStatePayload.builder().loaderFactory(factory).build());
        p.receiver.start();
        DeviceStateSaver saver = DeviceStateSaver.open(p.sender, 4096);
        p.sender.connect();
        assertThatThrownBy(() -> saver.save("half", 0, out -> {
            out.write(new byte[10_000]);
            throw new IOException("device went away while saving");
        })).hasMessage("device went away while saving");
        saver.save("whole", 0, new byte[10]);
        assertThatThrownBy(p.sender::finish).isInstanceOf(MigrationFailedException.class)
                .satisfies(e -> assertThat(rootMessages(e)).contains("device-state.last").contains("'half' instance 0"));
        assertThatThrownBy(() -> p.receiver.await(Duration.ofSeconds(30))).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("device-state.last");
        assertThat(factory.made.get("half#0").aborted.get()).isNotNull();
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: field 'device-state.last' = 'half' instance 0: "
                + "the last buffer of device 'half' instance 0 never arrived", Duration.ofSeconds(10));
    }

    static String rootMessages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getMessage()).append(" | ");
        }
        return sb.toString();
    }
}
