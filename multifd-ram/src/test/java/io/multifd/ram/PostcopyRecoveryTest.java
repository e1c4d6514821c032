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

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.leaks.NoLeaksExtension;
import io.multifd.testing.transport.FaultInjectingTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Post-copy recovery: a channel cut at a seeded moment of the post-copy phase pauses both sides
 * (the destination keeps its pages, its readers wait); a new session resumes and the destination
 * ends equal to the source. Also a second cut during the recovery, and a cancel while paused.
 */
@Timeout(120)
class PostcopyRecoveryTest {

    /** Every session's threads end and its buffers go, whatever the cut broke (first-use statics, about 70 KiB, may stay). */
    @RegisterExtension
    static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().directMemorySlack(128 << 10).build();

    static final long IMAGE = 8L << 20;
    static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(2).ioTimeout(Duration.ofSeconds(3))
            .finishTimeout(Duration.ofSeconds(10)).acceptTimeout(Duration.ofSeconds(10)).build();

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 50);
    }

    /** One session of the migration: a receiver, a sender whose channels can be cut, and a cutter. */
    static final class Session implements AutoCloseable {
        final MultiFdReceiver receiver;
        final MultiFdSender sender;
        final FaultInjectingTransport.Connector connector;
        final RamSaver saver;
        Thread cutter;

        Session(RamBlock src, RamBlock dst, PostcopyAccess access, boolean resume) throws IOException {
            InMemoryTransport t = InMemoryTransport.create();
            connector = new FaultInjectingTransport.Connector(t.connector(), id -> null);
            receiver = MultiFdReceiver.builder(CONFIG, t.listener()).registry(PluginRegistry.builder()
                    .add(RamPayload.builder().destination(RamDestination.of(dst)).postcopy(access).build()).build())
                    .build().start();
            sender = MultiFdSender.builder(CONFIG, connector)
                    .registry(PluginRegistry.builder().add(RamPayload.sending()).build()).build();
            saver = resume ? RamSaver.openForPostcopyResume(sender, List.of(src))
                    : RamSaver.openForPostcopy(sender, List.of(src));
            sender.connect();
        }

        /** Cuts a seeded channel a seeded time after {@code start} completes. */
        void cutAfter(java.util.concurrent.CompletableFuture<?> start, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            long delayNanos = TimeUnit.MICROSECONDS.toNanos(r.nextInt(4000));
            int channel = r.nextInt(CONFIG.channels());
            cutter = new Thread(() -> {
                try {
                    start.get(30, TimeUnit.SECONDS);
                    LockSupport.parkNanos(delayNanos); // the moment of the cut, not a synchronization
                    connector.cut(channel);
                } catch (Exception e) {
                    // the session ended first: nothing to cut
                }
            }, "cutter");
            cutter.start();
        }

        /** Finishes both sides; true if the session completed. */
        boolean finish(PostcopyOutcome outcome) {
            if (outcome.paused() != null) {
                catchThrowable(() -> receiver.await(Duration.ofSeconds(20)));
                return false;
            }
            Throwable s = catchThrowable(sender::finish);
            Throwable r = catchThrowable(() -> receiver.await(Duration.ofSeconds(20)));
            return s == null && r == null;
        }

        @Override
        public void close() throws InterruptedException {
            sender.close();
            receiver.close();
            if (cutter != null) {
                cutter.join(30_000);
            }
        }
    }

    record PostcopyOutcome(PostCopy.Result result, PostcopyPausedException paused) {
        static PostcopyOutcome of(IoCall call) throws IOException {
            try {
                return new PostcopyOutcome(call.run(), null);
            } catch (PostcopyPausedException e) {
                return new PostcopyOutcome(null, e);
            }
        }
    }

    interface IoCall {
        PostCopy.Result run() throws IOException;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aChannelCutDuringPostcopyPausesAndANewSessionResumes(long seed) throws Exception {
        runWithCuts(seed, 1);
    }

    @Test
    void aSecondCutDuringTheRecoveryPausesAgainAndAThirdSessionFinishes() throws Exception {
        for (long seed = 100; seed < 105; seed++) {
            runWithCuts(seed, 2);
        }
    }

    private static void runWithCuts(long seed, int cuts) throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, seed);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        PostcopyAccess access = new PostcopyAccess();
        PostCopyMigrationTest.Readers readers = new PostCopyMigrationTest.Readers(2, access, src, dst, seed);
        int sessions = 0;
        try {
            PostCopy postCopy;
            boolean done;
            try (Session s = new Session(src, dst, access, false)) {
                sessions++;
                postCopy = PostCopy.builder(s.saver, List.of(new DirtyBitmap(src))).afterRounds(0)
                        .backgroundPages(8).windowPages(PostCopy.MIN_WINDOW_PAGES).pause((c, p, e) -> { }).build();
                s.cutAfter(access.released(), seed);
                done = s.finish(PostcopyOutcome.of(postCopy::run));
            }
            assertThat(postCopy.destinationMissingPages()).as("every page missing at the switch-over")
                    .isEqualTo(src.pageCount());
            for (int cut = 1; !done; cut++) {
                assertThat(access.isPaused()).as("seed %d: paused after the break", seed).isTrue();
                assertThat(access.pauseCause()).isNotNull();
                assertThat(sessions).as("seed %d: sessions", seed).isLessThanOrEqualTo(cuts + 1);
                try (Session s = new Session(src, dst, access, true)) {
                    sessions++;
                    if (cut < cuts) {
                        s.cutAfter(java.util.concurrent.CompletableFuture.completedFuture(null), seed * 7 + cut);
                    }
                    long told = postCopy.destinationMissingPages();
                    long paused = access.missingPages(); // no page arrives while paused
                    done = s.finish(PostcopyOutcome.of(() -> postCopy.resume(s.saver)));
                    // the resume's bitmap, or, if the session broke before it came, what was known before
                    assertThat(postCopy.destinationMissingPages()).as("seed %d", seed).isIn(paused, told);
                }
            }
            readers.stopAndCheck();
        } finally {
            readers.stop.set(true);
        }
        assertThat(Images.firstMismatches(src, dst)).as("seed %d: first mismatching offsets", seed).isEmpty();
        assertThat(access.missingPages()).isZero();
        assertThat(access.isPaused()).isFalse();
    }

    @Test
    void aCancelWhilePausedFailsTheWaitsAndRefusesAResume() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, 9);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        PostcopyAccess access = new PostcopyAccess();
        PostCopy postCopy;
        try (Session s = new Session(src, dst, access, false)) {
            postCopy = PostCopy.builder(s.saver, List.of(new DirtyBitmap(src))).afterRounds(0)
                    .backgroundPages(1).windowPages(PostCopy.MIN_WINDOW_PAGES).pause((c, p, e) -> { }).build();
            // cut as soon as the destination runs: most pages are still missing
            s.cutAfter(access.released(), 0);
            PostcopyOutcome o = PostcopyOutcome.of(postCopy::run);
            s.finish(o);
            assertThat(o.paused()).isNotNull();
        }
        assertThat(access.isPaused()).isTrue();
        long last = IMAGE - 4096;
        AtomicReference<Throwable> waited = new AtomicReference<>();
        Thread reader = new Thread(() -> waited.set(catchThrowable(() -> access.require(dst, last, 4096))), "reader");
        reader.start();
        access.cancel("the operator gave up");
        reader.join(10_000);
        assertThat(waited.get()).isInstanceOf(MigrationFailedException.class)
                .hasRootCauseMessage("post-copy cancelled: the operator gave up");
        assertThatThrownBy(() -> access.require(dst, last, 4096)).isInstanceOf(MigrationFailedException.class);
        // a resume is refused: the destination gave the post-copy up
        Throwable refused;
        try (Session s = new Session(src, dst, access, true)) {
            refused = catchThrowable(() -> postCopy.resume(s.saver));
        } catch (IOException e) {
            refused = e; // connect() already saw the refusal
        }
        assertThat(refused).isNotNull().hasStackTraceContaining("the destination gave this post-copy up")
                .hasStackTraceContaining("the operator gave up");
    }

    /**
     * A cancel before the release (found by the post-copy audit: it was dropped, and the
     * migration went on and released the destination): the running session fails with the
     * reason, waiting require calls fail at once, and the source's memory is still current.
     */
    @Test
    void aCancelBeforeTheReleaseFailsTheSessionAndTheWaits() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, 13);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        PostcopyAccess access = new PostcopyAccess();
        try (Session s = new Session(src, dst, access, false)) {
            AtomicReference<Throwable> waited = new AtomicReference<>();
            Thread reader = new Thread(() -> waited.set(catchThrowable(() -> access.require(dst, 0, 1,
                    Duration.ofSeconds(20)))), "reader");
            reader.start();
            access.cancel("the operator gave up before the switch-over");
            reader.join(10_000);
            assertThat(waited.get()).as("the waiting require").isInstanceOf(MigrationFailedException.class)
                    .hasStackTraceContaining("post-copy cancelled: the operator gave up before the switch-over");
            PostCopy postCopy = PostCopy.builder(s.saver, List.of(new DirtyBitmap(src))).afterRounds(0)
                    .pause((c, p, e) -> { }).build();
            assertThat(catchThrowable(postCopy::run)).as("the source's run").isInstanceOf(IOException.class)
                    .isNotInstanceOf(PostcopyPausedException.class)
                    .hasStackTraceContaining("post-copy cancelled: the operator gave up before the switch-over");
            assertThatThrownBy(() -> s.receiver.await(Duration.ofSeconds(20))).isInstanceOf(MigrationFailedException.class)
                    .hasStackTraceContaining("post-copy cancelled");
            assertThat(access.isReleased()).as("never released").isFalse();
        }
    }

    /** A cancel before any session: waits end at once, and a session that comes later is refused. */
    @Test
    void aCancelBeforeAnySessionRefusesTheSessionThatComesLater() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 1 << 20);
        RamBlock dst = RamBlock.allocate("pc.ram", 1 << 20);
        PostcopyAccess access = new PostcopyAccess();
        // the caller's mistakes are refused at once, before any release
        assertThatThrownBy(() -> access.require(dst, -1, 10, Duration.ofSeconds(20)))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> access.require(dst, 0, 0, Duration.ofSeconds(20)))
                .isInstanceOf(IndexOutOfBoundsException.class);
        access.cancel("not needed after all");
        // a timeout meaning "for ever" is no arithmetic overflow
        assertThatThrownBy(() -> access.awaitRelease(Duration.ofSeconds(Long.MAX_VALUE)))
                .isInstanceOf(MigrationFailedException.class).hasStackTraceContaining("not needed after all");
        assertThatThrownBy(() -> access.require(dst, 0, 1, Duration.ofSeconds(Long.MAX_VALUE)))
                .isInstanceOf(MigrationFailedException.class).hasStackTraceContaining("not needed after all");
        Throwable refused;
        try (Session s = new Session(src, dst, access, false)) {
            refused = null;
        } catch (IOException e) {
            refused = e;
        }
        assertThat(refused).as("the session that came after the cancel").isNotNull()
                .hasStackTraceContaining("post-copy cancelled: not needed after all");
    }

    @Test
    void aCancelWhileRunningFailsBothEndsWithItsReason() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, 11);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        PostcopyAccess access = new PostcopyAccess();
        try (Session s = new Session(src, dst, access, false)) {
            // one page per packet and the smallest window: the stream is still running at the cancel
            PostCopy postCopy = PostCopy.builder(s.saver, List.of(new DirtyBitmap(src))).afterRounds(0)
                    .backgroundPages(1).windowPages(PostCopy.MIN_WINDOW_PAGES).pause((c, p, e) -> { }).build();
            access.released().thenRun(() -> access.cancel("the operator stopped it"));
            PostcopyOutcome o = PostcopyOutcome.of(postCopy::run);
            assertThat(o.paused()).as("the source keeps its memory").isNotNull()
                    .hasStackTraceContaining("post-copy cancelled: the operator stopped it");
            assertThatThrownBy(() -> s.receiver.await(Duration.ofSeconds(20))).isInstanceOf(MigrationFailedException.class)
                    .hasStackTraceContaining("post-copy cancelled: the operator stopped it");
        }
        assertThat(access.missingPages()).isPositive();
        assertThatThrownBy(() -> access.require(dst, IMAGE - 4096, 4096)).isInstanceOf(MigrationFailedException.class)
                .hasRootCauseMessage("post-copy cancelled: the operator stopped it");
    }

    @Test
    void resumingWhatWasNeverReleasedIsRefused() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 1 << 20);
        try (MultiFdSender sender = MultiFdSender.builder(CONFIG, InMemoryTransport.create().connector())
                .registry(PluginRegistry.builder().add(RamPayload.sending()).build()).build()) {
            RamSaver saver = RamSaver.openForPostcopy(sender, List.of(src));
            PostCopy p = PostCopy.builder(saver, List.of()).pause((c, pg, e) -> { }).build();
            assertThatThrownBy(() -> p.resume(saver)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("never released");
        }
    }
}
