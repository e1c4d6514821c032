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

import io.multifd.api.DataChecksum;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.leaks.Leaks;
import io.multifd.testing.leaks.NoLeaksExtension;
import io.multifd.testing.transport.FaultLink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The fault campaign of the normal test run: 200 seeded RAM migrations (1, 4 and 16 channels in
 * turn), each with one fault on a random channel, side and byte offset: end of stream, a reset, a
 * stall, one flipped bit (every data checksum on), short writes or reads, or a trickle (64 KiB one
 * byte per call, with four pauses of 300 ms: longer than the I/O timeout in all, shorter each).
 * Each run checks that both sides fail within 5 s of an end of stream, a reset or a flipped bit
 * and within the I/O timeout (1 s here) + 2 s of a stall, that no {@code multifd-} thread and
 * no connection is left, that the source memory is unchanged, and that the same source then
 * migrates again byte-exact. A flipped bit that arrived must fail the receiver. Short calls and a
 * trickle lose nothing, so those runs must complete byte-exact, as must a run whose fault never
 * came (the offset lay beyond what its channel moved). A receiver never succeeds where the
 * sender failed. The {@link NoLeaksExtension} checks threads, file descriptors and direct memory
 * after the whole campaign.
 *
 * <p>Deterministic per seed; a failure names its seed. {@code -Dmultifd.faultRuns=N} and
 * {@code -Dmultifd.faultSeed=S} change the count and the first seed.
 */
@Timeout(600)
class RamFaultCampaignTest {

    /** Nothing leaks; the RAM plug-in's one shared 64 KiB run of zero bytes may be allocated on first use. */
    @RegisterExtension
    static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().directMemorySlack(64 << 10).build();

    private static final long IMAGE = 4L << 20;
    /**
     * Long enough that a channel the fault did not touch never times out on a loaded 2-vCPU
     * machine (500 ms did, once, while other builds ran), short enough to keep stalls quick.
     */
    private static final Duration IO_TIMEOUT = Duration.ofMillis(1000);
    private static final Duration TRICKLE_PAUSE = Duration.ofMillis(300);

    private static MultiFdConfig config(int channels, DataChecksum checksum) {
        return MultiFdConfig.builder().channels(channels).ioTimeout(IO_TIMEOUT).dataChecksum(checksum)
                .finishTimeout(Duration.ofSeconds(10)).acceptTimeout(Duration.ofSeconds(10)).build();
    }

    /** What the runs of one fault kind ended as. */
    private static final class Tally {
        int bothFailed;
        int completed;
        int receiverOnly;
        int slowedCompleted;
        long slowestMillis;

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d both failed (slowest %d ms after the fault), %d receiver only, "
                    + "%d completed through the fault, %d fault never came", bothFailed, slowestMillis, receiverOnly,
                    slowedCompleted, completed);
        }
    }

    @Test
    void twoHundredFaultRuns() throws Exception {
        int runs = Integer.getInteger("multifd.faultRuns", 200);
        long first = Long.getLong("multifd.faultSeed", 1207);
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, first);
        String before = Images.sha256(src);
        Map<FaultLink.Kind, Tally> tallies = new EnumMap<>(FaultLink.Kind.class);
        int bothFailed = 0;
        for (int i = 0; i < runs; i++) {
            long seed = first + i;
            int channels = new int[] {1, 4, 16}[i % 3];
            bothFailed += run(seed, channels, src, before, tallies);
        }
        System.out.printf(Locale.ROOT, "fault campaign, seeds %d..%d (%d runs): %s%n", first, first + runs - 1, runs,
                tallies);
        assertThat(bothFailed).as("runs in which the fault failed both sides").isGreaterThan(runs / 3);
        if (runs >= 100) {
            assertThat(tallies.keySet()).as("fault kinds tried").containsExactlyInAnyOrder(FaultLink.Kind.values());
            assertThat(tallies.get(FaultLink.Kind.TRICKLE).slowedCompleted).as("trickles completed").isPositive();
            assertThat(tallies.get(FaultLink.Kind.SHORT).slowedCompleted).as("short calls completed").isPositive();
        }
    }

    /** One seeded run, tallied; returns 1 if the fault failed both sides, else 0. */
    private int run(long seed, int channels, RamBlock src, String before, Map<FaultLink.Kind, Tally> tallies)
            throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        FaultLink.Kind kind = FaultLink.Kind.values()[r.nextInt(FaultLink.Kind.values().length)];
        boolean slow = kind == FaultLink.Kind.SHORT || kind == FaultLink.Kind.TRICKLE;
        FaultLink.Side side = r.nextBoolean() ? FaultLink.Side.SENDER : FaultLink.Side.RECEIVER;
        int victim = r.nextInt(channels);
        long offset = r.nextLong(IMAGE / channels / 2);
        String what = String.format(Locale.ROOT, "seed %d (%d channels, %s on the %s side of channel %d at byte %d)",
                seed, channels, kind, side, victim, offset);
        FaultLink link = new FaultLink(new FaultLink.Fault(side, victim, offset, kind), TRICKLE_PAUSE);
        InMemoryTransport t = InMemoryTransport.builder().seed(seed).build();
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        MultiFdConfig config = config(channels, kind == FaultLink.Kind.CORRUPT ? DataChecksum.ALL : DataChecksum.ENCODED);
        Throwable sent;
        Throwable received;
        long senderEnded;
        AtomicLong receiverEnded = new AtomicLong();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, link.listener(t.listener()))
                .registry(PluginRegistry.builder().add(RamPayload.receiving(RamDestination.of(dst))).build())
                .build().start();
             MultiFdSender sender = MultiFdSender.builder(config, link.connector(t.connector()))
                     .registry(PluginRegistry.builder().add(RamPayload.builder().batchBytes(32 << 10).build()).build())
                     .build()) {
            CompletableFuture<MigrationStats> rx = receiver.awaitAsync()
                    .whenComplete((s, e) -> receiverEnded.set(System.nanoTime()));
            RamSaver saver = RamSaver.open(sender, List.of(src));
            sent = catchThrowable(() -> {
                sender.connect();
                saver.saveAll();
                sender.finish();
            });
            senderEnded = System.nanoTime();
            received = catchThrowable(() -> rx.get(20, TimeUnit.SECONDS));
        }
        assertThat(Leaks.threadsAlive("multifd-", Duration.ofSeconds(5))).as("%s: multifd threads alive", what)
                .isEmpty();
        assertThat(link.open()).as("%s: connections left open", what).isEmpty();
        assertThat(Images.sha256(src)).as("%s: the source memory", what).isEqualTo(before);
        Tally tally = tallies.computeIfAbsent(kind, k -> new Tally());
        boolean completed = received == null;
        if (slow) {
            assertThat(received).as("%s: a slow channel is no failure (sender: %s)", what, sent).isNull();
        } else if (kind == FaultLink.Kind.CORRUPT && link.fired()) {
            assertThat(received).as("%s: a flipped bit that arrived fails the receiver", what).isNotNull();
        }
        int outcome;
        if (completed) {
            assertThat(sent).as("%s: the receiver completed, so must the sender", what).isNull();
            assertThat(Images.firstMismatches(src, dst)).as("%s: a completed migration is byte-exact", what).isEmpty();
            outcome = 1;
            if (link.fired()) {
                tally.slowedCompleted++;
            } else {
                tally.completed++;
            }
        } else if (sent == null) {
            assertThat(link.fired()).as("%s: only a fault fails a receiver", what).isTrue();
            outcome = 2; // the fault hit after the sender's commit point: its outcome is unknown to the receiver
            tally.receiverOnly++;
        } else {
            assertThat(link.fired()).as("%s: only a fault fails a migration (sender: %s; receiver: %s)", what, sent,
                    received).isTrue();
            assertThat(sent).as("%s", what).isInstanceOf(MigrationFailedException.class);
            assertThat(received.getCause()).as("%s", what).isInstanceOf(MigrationFailedException.class);
            long bound = kind == FaultLink.Kind.STALL ? IO_TIMEOUT.toMillis() + 2000 : 5000;
            long took = TimeUnit.NANOSECONDS.toMillis(Math.max(senderEnded, receiverEnded.get()) - link.firedAt());
            assertThat(took).as("%s: ms from the fault until both sides failed", what).isLessThan(bound);
            outcome = 0;
            tally.bothFailed++;
            tally.slowestMillis = Math.max(tally.slowestMillis, took);
        }
        if (outcome != 1) {
            RamBlock again = RamBlock.allocate("pc.ram", IMAGE);
            Migrations.migrate(Migrations.Kind.MEMORY, seed, channels, List.of(src),
                    RamPayload.receiving(RamDestination.of(again)), MigrationListener.NONE, RamSaver::saveAll);
            assertThat(Images.firstMismatches(src, again)).as("%s: the same source, migrated again", what).isEmpty();
        }
        return outcome == 0 ? 1 : 0;
    }
}
