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
import io.multifd.api.spi.TransportChannel;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.inspect.StreamInspector;
import io.multifd.core.transport.CaptureListener;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.fuzz.SeededFuzz;
import io.multifd.testing.leaks.NoLeaksExtension;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mutation campaign: per codec ({@code none}, {@code zstd}, {@code lz4}, {@code zlib}), a real
 * two-channel RAM migration (two epochs, every data checksum on) is captured as each channel
 * received it, then 10,000 damaged versions of it are replayed into fresh receivers: byte-level
 * mutations of one channel, packets swapped across channels, moved, duplicated, dropped or
 * reordered, a dropped SYNC or EOS, a channel cut at a packet boundary or after its hello.
 * (Exchanging the two channels' whole streams is no damage: the receiver takes channels in any
 * order.) Every run must end within 2 s (on a second try too, so that a pause of a loaded machine
 * is not taken for a hang), either failed with the library's exception (or an end of stream) or
 * completed with the destination equal to the source: never a crash, a hang, an out-of-memory
 * error, or a completed run with memory that differs.
 *
 * <p>The codecs run side by side on up to two threads (each codec has its own receivers and
 * destination); a run writes its streams from the test thread into pipes larger than any damaged
 * stream, so a run costs one receiver and no thread of the test's own.
 *
 * <p>Deterministic per seed; the campaign seed is printed. A failure names the codec, the run, the
 * mutation and the run's seed; {@code -Dmultifd.campaign.replay=CODEC:SEED} replays that one
 * run. {@code -Dmultifd.campaign.runs=N} changes the count per codec and
 * {@code -Dmultifd.fuzz.seed=S} the campaign seed.
 */
@Timeout(900)
class RamMutationCampaignTest {

    /** Nothing leaks; the RAM plug-in's one shared 64 KiB run of zero bytes may be allocated on first use. */
    @RegisterExtension
    static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().directMemorySlack(64 << 10).build();

    /** Runs per codec (10,000 by default). */
    static final String RUNS_PROPERTY = "multifd.campaign.runs";
    /** {@code CODEC:SEED}: replay that one run, as a failure names it. */
    static final String REPLAY_PROPERTY = "multifd.campaign.replay";
    static final List<String> CODECS = List.of("none", "zstd", "lz4", "zlib");
    private static final long LEN = 128 << 10;
    private static final Duration HANG = Duration.ofSeconds(2);

    /**
     * Short timeouts: a damaged stream that leaves a channel waiting fails fast. Packets hold at
     * most 64 KiB (the recording's batches are 16 KiB), so that a receiver does not set up the
     * default 4 MiB of decoding buffers per channel for each of the 40,000 runs.
     */
    static MultiFdConfig config(String codec, Duration timeouts) {
        return MultiFdConfig.builder().channels(2).codec(codec, CodecOptions.NONE).dataChecksum(DataChecksum.ALL)
                .maxPacketDataLength(64 << 10)
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

    /**
     * One damaged version of the recorded streams.
     *
     * @param kind    the mutation's kind, for the per-kind figures
     * @param what    what exactly was done (which channel, which packets)
     * @param streams the damaged streams, channel 0 first
     */
    record Mutation(String kind, String what, byte[][] streams) {
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

    static Mutation mutate(byte[][] streams, SplittableRandom r) {
        Cut[] c = {Cut.of(streams[0], 0), Cut.of(streams[1], 1)};
        int a = r.nextInt(2);
        int b = 1 - a;
        List<byte[]> pa = c[a].packets();
        List<byte[]> pb = c[b].packets();
        String kind;
        String what;
        switch (r.nextInt(10)) {
            case 0 -> {
                int i = r.nextInt(pa.size());
                int j = r.nextInt(pb.size());
                byte[] x = pa.get(i);
                pa.set(i, pb.get(j));
                pb.set(j, x);
                kind = "swap across";
                what = String.format("packet %d of channel %d swapped with packet %d of channel %d", i, a, j, b);
            }
            case 1 -> {
                int i = r.nextInt(pa.size());
                int j = r.nextInt(pb.size() + 1);
                pb.add(j, pa.remove(i));
                kind = "move across";
                what = String.format("packet %d of channel %d moved to position %d of channel %d", i, a, j, b);
            }
            case 2 -> {
                kind = "drop SYNC";
                what = dropFlagged(c[a], 0x01, "SYNC", r) + " of channel " + a;
            }
            case 3 -> {
                kind = "drop EOS";
                what = dropFlagged(c[a], 0x02, "EOS", r) + " of channel " + a;
            }
            case 4 -> {
                int i = r.nextInt(pa.size());
                pa.add(i, pa.get(i));
                kind = "duplicate";
                what = String.format("packet %d of channel %d sent twice", i, a);
            }
            case 5 -> {
                int i = r.nextInt(pa.size());
                pa.remove(i);
                kind = "drop";
                what = String.format("packet %d of channel %d dropped", i, a);
            }
            case 6 -> {
                int i = r.nextInt(pa.size());
                int j = r.nextInt(pa.size());
                byte[] x = pa.get(i);
                pa.set(i, pa.get(j));
                pa.set(j, x);
                kind = "reorder";
                what = String.format("packets %d and %d of channel %d exchanged", i, j, a);
            }
            case 7 -> {
                int i = r.nextInt(pa.size());
                pa.subList(i, pa.size()).clear();
                kind = "cut at packet";
                what = String.format("channel %d ends before its packet %d", a, i);
            }
            case 8 -> {
                pa.clear();
                kind = "hello only";
                what = String.format("channel %d sends its hello and nothing more", a);
            }
            default -> {
                byte[][] out = {streams[0], streams[1]};
                out[a] = SeededFuzz.mutate(List.of(streams[a]), r);
                return new Mutation("bytes", "bytes of channel " + a + " edited (" + streams[a].length + " -> "
                        + out[a].length + " bytes)", out);
            }
        }
        return new Mutation(kind, what, new byte[][] {c[0].join(), c[1].join()});
    }

    private static String dropFlagged(Cut c, int flag, String name, SplittableRandom r) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < c.packets().size(); i++) {
            if (c.control(i) && (c.flags(i) & flag) != 0) {
                idx.add(i);
            }
        }
        assertThat(idx).as("%s packets in the recorded stream", name).isNotEmpty();
        int i = idx.get(r.nextInt(idx.size()));
        c.packets().remove(i);
        return name + " (packet " + i + ")";
    }

    /**
     * Replays damaged streams into a fresh receiver. The streams are written from the calling
     * thread: the pipes hold more than the longest of them, so no write waits for the receiver.
     *
     * @return null if the receiver completed, else its failure's cause
     * @throws AssertionError if the receiver did not end within {@link #HANG}
     */
    static Throwable replay(MultiFdConfig config, PluginRegistry registry, byte[][] streams) throws Exception {
        int longest = 0;
        for (byte[] s : streams) {
            longest = Math.max(longest, s.length);
        }
        InMemoryTransport t = InMemoryTransport.builder().bufferSize(Math.max(4096, longest + 1)).build();
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
                    try {
                        ByteBuffer data = ByteBuffer.wrap(streams[i]);
                        while (data.hasRemaining()) {
                            ch.write(data);
                        }
                        ch.shutdownOutput();
                    } catch (IOException e) {
                        // the receiver closed the channel early: fine
                    }
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
        }
    }

    /** Counts and time of one mutation kind. */
    static final class KindFigures {
        long runs;
        long completed;
        long nanos;
        long maxNanos;

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d (%d completed, mean %.1f ms, max %d ms)", runs, completed,
                    nanos / 1e6 / Math.max(1, runs), TimeUnit.NANOSECONDS.toMillis(maxNanos));
        }
    }

    /** The figures of one codec's campaign. */
    record Figures(String codec, long seed, long runs, long failed, long completed, Map<String, KindFigures> kinds,
                   long millis) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "mutation campaign %s: %d runs, %d failed cleanly, %d completed "
                    + "byte-exact, 0 hangs, 0 crashes (seed %d, %d ms); by kind: %s", codec, runs, failed, completed,
                    seed, millis, kinds);
        }
    }

    /** One codec's campaign: records its stream, then replays {@code runs} mutations of it. */
    static Figures campaign(String codec, long seed, long runs, Long only, Path dir) throws Exception {
        long start = System.nanoTime();
        RamBlock src = RamBlock.allocate("pc.ram", LEN);
        Images.fillMixed(src, codec.hashCode());
        String want = Images.sha256(src);
        byte[][] streams = record(codec, src, dir);
        MultiFdConfig config = config(codec, Duration.ofMillis(200));
        RamBlock dst = RamBlock.allocate("pc.ram", LEN);
        PluginRegistry registry = registry(dst);
        byte[] zeros = new byte[(int) LEN];
        SplittableRandom master = new SplittableRandom(seed);
        Map<String, KindFigures> kinds = new TreeMap<>();
        long completed = 0;
        for (long i = 0; i < runs; i++) {
            long s = only != null ? only : master.nextLong();
            Mutation m = mutate(streams, new SplittableRandom(s));
            String run = String.format(Locale.ROOT, "%s run %d, %s [%s] (run seed %d: replay with -D%s=%s:%d;"
                    + " campaign seed %d)", codec, i, m.what(), m.kind(), s, REPLAY_PROPERTY, codec, s, seed);
            KindFigures k = kinds.computeIfAbsent(m.kind(), x -> new KindFigures());
            long t0 = System.nanoTime();
            dst.put(0, zeros, 0, zeros.length);
            Throwable f;
            try {
                f = replay(config, registry, m.streams());
            } catch (AssertionError first) {
                // over 2 s once may be a pause of a loaded machine: a hang is over 2 s again
                dst.put(0, zeros, 0, zeros.length);
                try {
                    f = replay(config, registry, m.streams());
                } catch (AssertionError e) {
                    throw new AssertionError(run + ": " + e.getMessage() + ", twice", e);
                }
            } catch (OutOfMemoryError | RuntimeException e) {
                throw new AssertionError(run + ": crashed", e);
            }
            if (f == null) {
                completed++;
                k.completed++;
                assertThat(Images.sha256(dst)).as("%s: completed, so the memory must equal the source", run)
                        .isEqualTo(want);
            } else {
                assertThat(f).as("%s: the failure must be the library's or an end of stream", run)
                        .isInstanceOfAny(MultiFdException.class, EOFException.class);
            }
            long took = System.nanoTime() - t0;
            k.runs++;
            k.nanos += took;
            k.maxNanos = Math.max(k.maxNanos, took);
        }
        return new Figures(codec, seed, runs, runs - completed, completed, kinds,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    @Test
    void tenThousandDamagedStreamsPerCodecFailCleanlyOrArriveExact(@TempDir Path dir) throws Exception {
        long base = Long.getLong(SeededFuzz.SEED_PROPERTY, 20261207L);
        long runs = Long.getLong(RUNS_PROPERTY, 10_000);
        String replay = System.getProperty(REPLAY_PROPERTY);
        List<String> codecs = CODECS;
        Long only = null;
        if (replay != null && !replay.isBlank()) {
            String[] p = replay.split(":", 2);
            codecs = List.of(p[0]);
            only = Long.parseLong(p[1]);
            runs = 1;
        }
        int threads = Math.min(2, Math.max(1, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "campaign-codec");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Figures>> results = new ArrayList<>();
            for (String codec : codecs) {
                long seed = base ^ codec.hashCode();
                long n = runs;
                Long one = only;
                Path d = Files.createDirectories(dir.resolve(codec));
                results.add(pool.submit(() -> campaign(codec, seed, n, one, d)));
            }
            for (Future<Figures> f : results) {
                Figures figures;
                try {
                    figures = f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw e;
                }
                System.out.println(figures);
                assertThat(figures.failed()).as("%s: damaged streams refused", figures.codec())
                        .isGreaterThanOrEqualTo(figures.runs() * 9 / 10);
            }
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("campaign threads ended").isTrue();
        }
    }
}
