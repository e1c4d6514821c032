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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.CodecOptions;
import io.multifd.api.DataChecksum;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.inspect.StreamInspector;
import io.multifd.core.transport.CaptureListener;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.api.spi.TransportChannel;
import io.multifd.testing.fuzz.SeededFuzz;
import io.multifd.testing.logging.CapturedLogs;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mutation campaign, per codec: a real two-channel RAM migration (two epochs, every data
 * checksum on) is captured as each channel received it, then damaged versions of it (1,500 in
 * the normal build, 10,000 with {@code -Dmultifd.campaign.runs=10000}, which the long fuzzing
 * script sets) are replayed into fresh receivers: byte-level mutations of one channel, packets swapped across
 * channels, moved, duplicated, dropped or reordered, a dropped SYNC or EOS, a channel cut at a
 * packet boundary or after its hello. (Exchanging the two channels' whole streams is no damage:
 * the receiver takes channels in any order.) Every run must end within 2 s, either
 * failed with the library's exception (or an end of stream) or completed with the destination
 * equal to the source: never a crash, a hang, or a completed run with memory that differs.
 * The seed is printed on failure.
 */
@Timeout(900)
class RamMutationCampaignTest {

    /** Runs per codec: 1,500 in the normal build; the long script sets 10,000. */
    static final String RUNS_PROPERTY = "multifd.campaign.runs";
    private static final long LEN = 128 << 10;
    private static final Duration HANG = Duration.ofSeconds(2);

    /** Short timeouts: a damaged stream that leaves a channel waiting fails fast. */
    private static MultiFdConfig config(String codec, Duration timeouts) {
        return MultiFdConfig.builder().channels(2).codec(codec, CodecOptions.NONE).dataChecksum(DataChecksum.ALL)
                .ioTimeout(timeouts).handshakeTimeout(timeouts).finishTimeout(timeouts).acceptTimeout(timeouts)
                .build();
    }

    /** One channel's stream cut at packet boundaries: the hello (and manifest) prefix, then each packet. */
    record Cut(byte[] prefix, List<byte[]> packets) {
        byte[] join() {
            int n = prefix.length;
            for (byte[] p : packets) {
                n += p.length;
            }
            ByteBuffer b = ByteBuffer.allocate(n).put(prefix);
            packets.forEach(b::put);
            return b.array();
        }

        static Cut of(byte[] s, int channel) {
            ByteBuffer b = ByteBuffer.wrap(s);
            int pos = 44 + Short.toUnsignedInt(b.getShort(30));
            if (channel == 0) {
                pos += 16 + b.getInt(pos + 8);
            }
            byte[] prefix = Arrays.copyOf(s, pos);
            List<byte[]> packets = new ArrayList<>();
            while (pos < s.length) {
                int len = 48 + b.getInt(pos + 24) + b.getInt(pos + 32);
                packets.add(Arrays.copyOfRange(s, pos, pos + len));
                pos += len;
            }
            return new Cut(prefix, packets);
        }

        int flags(int i) {
            return ByteBuffer.wrap(packets.get(i)).getShort(6);
        }

        boolean control(int i) {
            return ByteBuffer.wrap(packets.get(i)).getShort(4) == 0;
        }
    }

    static PluginRegistry registry(RamBlock dst) {
        PluginRegistry.Builder b = PluginRegistry.builder().add(dst == null ? RamPayload.builder().batchBytes(16 << 10)
                .build() : RamPayload.receiving(RamDestination.of(dst)));
        PluginRegistry.discover().codecs().forEach(b::add);
        return b.build();
    }

    static byte[][] record(String codec, RamBlock src, Path dir) throws Exception {
        RamBlock dst = RamBlock.allocate("pc.ram", LEN);
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = config(codec, Duration.ofSeconds(10));
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, CaptureListener.wrap(t.listener(), dir))
                .registry(registry(dst)).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, t.connector()).registry(registry(null)).build()) {
            RamSaver saver = RamSaver.open(sender, src);
            sender.connect();
            saver.saveAll();
            for (long off = 0; off < LEN; off += 5 * 4096) {
                saver.queuePage(src, off);
            }
            saver.sync();
            sender.finish();
            receiver.await(Duration.ofSeconds(30));
        }
        assertThat(Images.sha256(dst)).as("the recorded migration").isEqualTo(Images.sha256(src));
        byte[][] streams = {Files.readAllBytes(dir.resolve("channel-0.bin")),
                Files.readAllBytes(dir.resolve("channel-1.bin"))};
        // the inspector decodes every captured stream to its COMMIT, RAM headers described
        StreamInspector inspector = new StreamInspector(registry(dst), config);
        for (byte[] s : streams) {
            List<StreamInspector.Message> messages = new ArrayList<>();
            StreamInspector.Summary summary = inspector.inspect(new ByteArrayInputStream(s), messages::add);
            assertThat(summary.complete()).as(summary.stop()).isTrue();
            assertThat(messages).filteredOn(m -> m.kind().equals("packet")).isNotEmpty()
                    .allSatisfy(m -> assertThat(m.fields().get("header"))
                            .asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("block", "pc.ram"));
        }
        return streams;
    }

    static byte[][] mutate(byte[][] streams, SplittableRandom r) {
        Cut[] c = {Cut.of(streams[0], 0), Cut.of(streams[1], 1)};
        int a = r.nextInt(2);
        int b = 1 - a;
        List<byte[]> pa = c[a].packets();
        List<byte[]> pb = c[b].packets();
        switch (r.nextInt(10)) {
            case 0 -> { // swap a packet across channels
                int i = r.nextInt(pa.size());
                int j = r.nextInt(pb.size());
                byte[] x = pa.get(i);
                pa.set(i, pb.get(j));
                pb.set(j, x);
            }
            case 1 -> pb.add(r.nextInt(pb.size() + 1), pa.remove(r.nextInt(pa.size()))); // move one across
            case 2 -> dropFlagged(c[a], 0x01, r); // a SYNC
            case 3 -> dropFlagged(c[a], 0x02, r); // the EOS
            case 4 -> { // duplicate a packet
                int i = r.nextInt(pa.size());
                pa.add(i, pa.get(i));
            }
            case 5 -> pa.remove(r.nextInt(pa.size())); // drop a packet
            case 6 -> { // reorder two packets
                int i = r.nextInt(pa.size());
                int j = r.nextInt(pa.size());
                byte[] x = pa.get(i);
                pa.set(i, pa.get(j));
                pa.set(j, x);
            }
            case 7 -> pa.subList(r.nextInt(pa.size()), pa.size()).clear(); // cut at a packet boundary
            case 8 -> pa.clear(); // a channel that sends its hello and nothing more
            default -> { // bytes of one channel
                byte[][] out = {streams[0], streams[1]};
                out[a] = SeededFuzz.mutate(List.of(streams[a]), r);
                return out;
            }
        }
        return new byte[][] {c[0].join(), c[1].join()};
    }

    private static void dropFlagged(Cut c, int flag, SplittableRandom r) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < c.packets().size(); i++) {
            if (c.control(i) && (c.flags(i) & flag) != 0) {
                idx.add(i);
            }
        }
        if (!idx.isEmpty()) {
            c.packets().remove((int) idx.get(r.nextInt(idx.size())));
        }
    }

    /** Replays; returns null if the receiver completed, else its failure's cause. */
    static Throwable replay(MultiFdConfig config, PluginRegistry registry, byte[][] streams) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        List<Thread> writers = new ArrayList<>();
        List<TransportChannel> channels = new ArrayList<>();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener()).registry(registry).build()
                .start()) {
            try {
                for (int i = 0; i < streams.length; i++) {
                    TransportChannel ch;
                    try {
                        ch = t.connector().connect(i, Duration.ofSeconds(5));
                    } catch (IOException e) {
                        break; // the receiver already failed and closed its listener
                    }
                    channels.add(ch);
                    ByteBuffer data = ByteBuffer.wrap(streams[i]);
                    Thread w = new Thread(() -> {
                        try {
                            while (data.hasRemaining()) {
                                ch.write(data);
                            }
                            ch.shutdownOutput();
                        } catch (IOException e) {
                            // the receiver closed the channel early: fine
                        }
                    }, "campaign-writer-" + i);
                    w.setDaemon(true);
                    writers.add(w);
                    w.start();
                }
                receiver.await(HANG);
                return null;
            } catch (ChannelTimeoutException e) {
                throw new AssertionError("the receiver did not end within " + HANG.toMillis() + " ms", e);
            } catch (MigrationFailedException e) {
                return e.getCause();
            } finally {
                for (TransportChannel ch : channels) {
                    ch.close();
                }
            }
        } finally {
            for (Thread w : writers) {
                w.join(5_000);
                assertThat(w.isAlive()).as("%s ended", w.getName()).isFalse();
            }
        }
    }

    @ParameterizedTest(name = "codec {0}")
    @ValueSource(strings = {"none", "zstd", "lz4", "zlib"})
    void damagedStreamsFailCleanlyOrArriveExact(String codec, @TempDir Path dir, CapturedLogs logs)
            throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", LEN);
        Images.fillMixed(src, codec.hashCode());
        String want = Images.sha256(src);
        byte[][] streams = record(codec, src, dir);
        MultiFdConfig config = config(codec, Duration.ofMillis(200));
        RamBlock dst = RamBlock.allocate("pc.ram", LEN);
        PluginRegistry registry = registry(dst);
        byte[] zeros = new byte[(int) LEN];

        long seed = Long.getLong(SeededFuzz.SEED_PROPERTY, 20261207L ^ codec.hashCode());
        long runs = Long.getLong(RUNS_PROPERTY, 1_500);
        SplittableRandom master = new SplittableRandom(seed);
        long completed = 0;
        long failed = 0;
        for (long i = 0; i < runs; i++) {
            long s = master.nextLong();
            byte[][] m = mutate(streams, new SplittableRandom(s));
            dst.put(0, zeros, 0, zeros.length);
            Throwable f;
            try {
                f = replay(config, registry, m);
            } catch (AssertionError first) {
                // over 2 s once may be a pause of a loaded machine: a hang is over 2 s again
                dst.put(0, zeros, 0, zeros.length);
                try {
                    f = replay(config, registry, m);
                } catch (AssertionError e) {
                    throw new AssertionError(codec + " run " + i + " (seed " + s + ", campaign seed " + seed + "): "
                            + e.getMessage() + ", twice", e);
                }
            }
            if (f == null) {
                completed++;
                assertThat(Images.sha256(dst)).as("%s run %d (seed %d): completed, so the memory must equal the source",
                        codec, i, s).isEqualTo(want);
            } else {
                failed++;
                assertThat(f).as("%s run %d (seed %d): the failure must be the library's or an end of stream",
                        codec, i, s).isInstanceOfAny(MultiFdException.class, EOFException.class);
            }
        }
        System.out.printf("mutation campaign %s: %d runs, %d failed cleanly, %d completed byte-exact (seed %d)%n",
                codec, runs, failed, completed, seed);
        assertThat(failed).as("damaged streams refused").isGreaterThan(runs * 9 / 10);
    }
}
