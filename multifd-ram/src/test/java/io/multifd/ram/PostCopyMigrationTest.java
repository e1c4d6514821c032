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

import io.multifd.api.CodecOptions;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.Codec;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Post-copy end to end: writers that keep dirtying the source so that pre-copy cannot converge,
 * a switch-over after two rounds, and destination readers that run from the release on and read
 * random pages through {@link PostcopyAccess#require}: every page they read must already equal
 * the source's page (frozen since the pause), and the destination must end equal to the source,
 * with each codec at 1, 2 and 4 channels.
 */
@Timeout(180)
class PostCopyMigrationTest {

    static final long IMAGE = 16L << 20;

    static Stream<Arguments> matrix() {
        List<Arguments> a = new ArrayList<>();
        for (String codec : new String[] {"none", "zstd", "lz4", "zlib"}) {
            for (int channels : new int[] {1, 2, 4}) {
                a.add(Arguments.of(codec, channels));
            }
        }
        return a.stream();
    }

    /** Destination readers: read random pages through the access object and compare them with the source. */
    static final class Readers {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong mismatches = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> threads = new ArrayList<>();

        Readers(int n, PostcopyAccess access, RamBlock src, RamBlock dst, long seed) {
            for (int i = 0; i < n; i++) {
                long s = seed * 7 + i;
                threads.add(new Thread(() -> {
                    try {
                        if (!access.awaitRelease(Duration.ofSeconds(60))) {
                            throw new AssertionError("never released");
                        }
                        SplittableRandom rnd = new SplittableRandom(s);
                        int ps = dst.pageSize();
                        byte[] want = new byte[ps];
                        byte[] got = new byte[ps];
                        while (!stop.get()) {
                            long off = rnd.nextLong(dst.pageCount()) * ps;
                            int len = dst.pageLength(off);
                            access.require(dst, off, len, Duration.ofSeconds(30));
                            dst.get(off, got, 0, len);
                            src.get(off, want, 0, len); // the source is frozen since the pause
                            reads.incrementAndGet();
                            if (!Arrays.equals(want, 0, len, got, 0, len)) {
                                mismatches.incrementAndGet();
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }, "reader-" + i));
            }
            threads.forEach(Thread::start);
        }

        void stopAndCheck() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as("reader %s ended", t.getName()).isFalse();
            }
            assertThat(failure.get()).as("a reader failed").isNull();
            assertThat(mismatches.get()).as("pages read before they were right").isZero();
        }
    }

    record Run(PostCopy.Result result, MigrationStats sent, MigrationStats received, long reads) {
    }

    /**
     * Migrates {@code src} into {@code dst} with post-copy over loopback TCP: the listener sees the
     * rounds, {@code beforeSwitch} is the pause callback, {@code readers} threads read through the
     * access object from the release until the receiver completed.
     */
    static Run migrate(String codec, int channels, RamBlock src, RamBlock dst, PostcopyAccess access,
                               DirtyBitmap dirty, Consumer<PostCopy.Builder> tune, RoundListener listener,
                               Runnable beforeSwitch, int readers, long seed) throws Exception {
        return migrate(Migrations.Kind.TCP, codec, channels, src, dst, access, dirty, tune, listener, beforeSwitch,
                readers, seed);
    }

    private static Run migrate(Migrations.Kind kind, String codec, int channels, RamBlock src, RamBlock dst,
                               PostcopyAccess access, DirtyBitmap dirty, Consumer<PostCopy.Builder> tune,
                               RoundListener listener, Runnable beforeSwitch, int readers, long seed) throws Exception {
        List<Codec> codecs = PluginRegistry.discover().codecs();
        PluginRegistry.Builder tx = PluginRegistry.builder().add(RamPayload.sending());
        PluginRegistry.Builder rx = PluginRegistry.builder().add(RamPayload.builder()
                .destination(RamDestination.of(dst)).postcopy(access).build());
        codecs.forEach(h -> {
            tx.add(h);
            rx.add(h);
        });
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).codec(codec, codec.equals("none") ? CodecOptions.NONE : CodecOptions.level(1))
                .ioTimeout(Duration.ofSeconds(20)).finishTimeout(Duration.ofSeconds(30)).build();
        Migrations.Transport t = Migrations.transport(kind, seed);
        Readers r = new Readers(readers, access, src, dst, seed);
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener()).registry(rx.build()).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, t.connector()).registry(tx.build()).build()) {
            RamSaver saver = RamSaver.openForPostcopy(sender, List.of(src)).roundListener(listener);
            sender.connect();
            PostCopy.Builder b = PostCopy.builder(saver, List.of(dirty)).afterRounds(2)
                    .pause((converged, pages, estimate) -> beforeSwitch.run());
            tune.accept(b);
            PostCopy.Result result = b.build().run();
            MigrationStats sent = sender.finish();
            MigrationStats received = receiver.await(Duration.ofSeconds(60));
            r.stopAndCheck();
            return new Run(result, sent, received, r.reads.get());
        } finally {
            r.stop.set(true);
            t.listener().close();
        }
    }

    @ParameterizedTest(name = "{0}, {1} channels")
    @MethodSource("matrix")
    void aMigrationThatCannotConvergeCompletesWithPostcopy(String codec, int channels) throws Exception {
        long seed = codec.hashCode() * 31L + channels;
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, seed);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        DirtyBitmap dirty = new DirtyBitmap(src);
        LiveWriters writers = new LiveWriters(src, dirty, 0, 1L << 20, seed);
        PostcopyAccess access = new PostcopyAccess();
        RoundListener listener = new RoundListener() {
            @Override
            public void onRoundStarted(int round, long pages, long bytes) {
                if (round == 1) {
                    writers.start();
                }
            }

            @Override
            public void onRoundFinished(RoundStats stats) {
                try {
                    writers.awaitSweep(256); // every round leaves dirty pages: pre-copy cannot converge
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Run run;
        try {
            run = migrate(codec, channels, src, dst, access, dirty, b -> { }, listener, () -> {
                try {
                    writers.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, 2, seed);
        } finally {
            writers.stop();
        }
        assertThat(Images.firstMismatches(src, dst)).as("%s, %d channels (seed %d)", codec, channels, seed).isEmpty();
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        writers.checkSweep(dst);
        assertThat(run.result().postcopy()).isTrue();
        assertThat(run.result().rounds()).hasSize(2);
        assertThat(run.result().missingPages()).as("pages the destination lacked at the switch-over").isPositive();
        assertThat(access.missingPages()).isZero();
        assertThat(access.isReleased()).isTrue();
        assertThat(run.reads()).as("the readers ran after the release").isPositive();
        assertThat(run.sent().codec()).isEqualTo(codec);
    }

    @Test
    void aRequestedPageGoesAheadOfTheBackgroundStream() throws Exception {
        long seed = 99;
        RamBlock src = RamBlock.allocate("pc.ram", 64L << 20);
        Images.fillMixed(src, seed);
        RamBlock dst = RamBlock.allocate("pc.ram", 64L << 20);
        DirtyBitmap dirty = new DirtyBitmap(src);
        long half = src.length() / 2;
        long last = src.length() - src.pageSize();
        PostcopyAccess access = new PostcopyAccess();
        AtomicReference<Throwable> readerFailure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                access.awaitRelease(Duration.ofSeconds(60));
                // the background cursor starts at the block's first page: the last one comes last unless asked for
                access.require(dst, last, src.pageSize());
                byte[] want = new byte[src.pageSize()];
                byte[] got = new byte[src.pageSize()];
                src.get(last, want, 0, want.length);
                dst.get(last, got, 0, got.length);
                assertThat(got).isEqualTo(want);
            } catch (Throwable t) {
                readerFailure.set(t);
            }
        }, "reader");
        reader.start();
        RoundListener changeUpperHalf = new RoundListener() {
            @Override
            public void onRoundFinished(RoundStats stats) {
                byte[] page = new byte[src.pageSize()];
                for (long off = half; off < src.length(); off += page.length) {
                    Arrays.fill(page, (byte) (off >>> 12));
                    src.put(off, page, 0, page.length);
                    dirty.mark(off);
                }
            }
        };
        Run run = migrate("none", 1, src, dst, access, dirty, b -> b.afterRounds(1).backgroundPages(1)
                .windowPages(PostCopy.MIN_WINDOW_PAGES), changeUpperHalf, () -> { }, 0, seed);
        reader.join(30_000);
        assertThat(readerFailure.get()).isNull();
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        assertThat(run.result().missingPages()).isEqualTo((src.length() - half) / src.pageSize());
        assertThat(access.requests()).as("request messages").isPositive();
        assertThat(run.result().requests()).isEqualTo(access.requests());
        assertThat(run.result().requestedPages()).as("the last page left ahead of the background").isPositive();
        assertThat(access.latency().count()).isEqualTo(1);
    }

    @Test
    void switchingOverAtOnceSendsEveryPageExactlyOnceAfterTheRelease() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", (8L << 20) + 3 * 4096 + 100); // a partial last page
        Images.fillMixed(src, 17);
        RamBlock dst = RamBlock.allocate("pc.ram", src.length());
        PostcopyAccess access = new PostcopyAccess();
        Run run = migrate("lz4", 2, src, dst, access, new DirtyBitmap(src), b -> b.afterRounds(0), RoundListener.NONE,
                () -> { }, 2, 17);
        assertThat(run.result().postcopy()).isTrue();
        assertThat(run.result().rounds()).isEmpty();
        assertThat(run.result().missingPages()).isEqualTo(src.pageCount());
        assertThat(run.sent().payload("ram").orElseThrow().items() + run.sent().payload("ram").orElseThrow().elidedItems())
                .as("every page once").isEqualTo(src.pageCount());
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        assertThat(run.reads()).isPositive();
        assertThat(access.missingPages()).isZero();
    }

    @Test
    void overMutualTlsTheRequestsAndPagesCrossTheSameEncryptedChannels() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 8L << 20);
        Images.fillMixed(src, 23);
        RamBlock dst = RamBlock.allocate("pc.ram", src.length());
        PostcopyAccess access = new PostcopyAccess();
        Run run = migrate(Migrations.Kind.TLS, "zstd", 2, src, dst, access, new DirtyBitmap(src),
                b -> b.afterRounds(0), RoundListener.NONE, () -> { }, 2, 23);
        assertThat(run.result().postcopy()).isTrue();
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        assertThat(run.reads()).isPositive();
        assertThat(access.requests()).as("requests over TLS").isPositive();
    }

    @Test
    void preCopyThatConvergesEndsWithoutPostcopy() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 4L << 20);
        Images.fillMixed(src, 5);
        RamBlock dst = RamBlock.allocate("pc.ram", 4L << 20);
        PostcopyAccess access = new PostcopyAccess();
        Run run = migrate("none", 2, src, dst, access, new DirtyBitmap(src), b -> { }, RoundListener.NONE, () -> { }, 0, 5);
        assertThat(run.result().postcopy()).isFalse();
        assertThat(run.result().rounds()).hasSize(2); // round 1 and the final round
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        assertThat(access.isReleased()).isFalse();
        assertThat(access.missingPages()).isZero();
    }

    @Test
    void aSaverNotOpenedForPostcopyIsRefused() throws Exception {
        try (MultiFdSender sender = MultiFdSender.builder(Migrations.config(1),
                io.multifd.core.transport.InMemoryTransport.create().connector())
                .registry(PluginRegistry.builder().add(RamPayload.sending()).build()).build()) {
            RamSaver saver = RamSaver.open(sender, List.of(RamBlock.allocate("pc.ram", 1 << 20)));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> PostCopy.builder(saver, List.of()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openForPostcopy");
        }
    }
}
