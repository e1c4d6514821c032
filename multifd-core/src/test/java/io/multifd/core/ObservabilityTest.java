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
package io.multifd.core;

import io.multifd.api.ChannelStats;
import io.multifd.api.EpochStats;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.testkit.Async;
import io.multifd.core.testkit.Harness;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.logging.CapturedLogs;
import io.multifd.testing.transport.ForwardingTransportChannel;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a migration tells about itself: the flight-recorder events (one round per sync epoch, one
 * blocked-channel event per stall), the per-channel and per-epoch figures in the statistics, the
 * INFO log lines, and the bandwidth cap changed while a migration runs.
 */
@Timeout(120)
class ObservabilityTest {

    private static final int CHANNELS = 2;
    private static final int ROUNDS = 3;
    private static final int BLOBS = 12;
    private static final int STALLS = 2;
    private static final Duration STALL = Duration.ofMillis(400);

    /**
     * A connector whose channel {@code slowChannel} stalls on its first {@code stalls} data-packet
     * writes (gathering writes of header, payload header and data), as a congested link would.
     */
    private static final class StallingConnector implements TransportConnector {
        private final TransportConnector inner;
        private final int slowChannel;
        private final AtomicInteger stallsLeft;

        StallingConnector(TransportConnector inner, int slowChannel, int stalls) {
            this.inner = inner;
            this.slowChannel = slowChannel;
            this.stallsLeft = new AtomicInteger(stalls);
        }

        @Override
        public TransportChannel connect(int channelId, Duration timeout) throws IOException {
            TransportChannel c = inner.connect(channelId, timeout);
            if (channelId != slowChannel) {
                return c;
            }
            return new ForwardingTransportChannel(c) {
                @Override
                public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
                    if (length >= 3 && stallsLeft.getAndDecrement() > 0) {
                        try {
                            Thread.sleep(STALL.toMillis()); // the simulated congestion, not a wait for a result
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new java.io.InterruptedIOException("stall interrupted");
                        }
                    }
                    return super.write(srcs, offset, length);
                }
            };
        }

        @Override
        public String description() {
            return "stalling " + inner.description();
        }
    }

    private static List<RecordedEvent> named(List<RecordedEvent> all, String name, String side) {
        return all.stream().filter(e -> e.getEventType().getName().equals(name))
                .filter(e -> side == null || side.equals(e.getString("side")))
                .collect(Collectors.toList());
    }

    @Test
    void flightRecorderSeesEveryRoundAndEveryStall(@TempDir Path dir, CapturedLogs logs) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(CHANNELS).build();
        MigrationStats sent;
        MigrationStats received;
        Path file = dir.resolve("migration.jfr");
        try (Recording r = new Recording()) {
            r.enable("io.multifd.Migration");
            r.enable("io.multifd.Round");
            r.enable("io.multifd.Sync");
            // above any ordinary in-memory write, below the provoked stalls
            r.enable("io.multifd.ChannelBlocked").withThreshold(STALL.dividedBy(2));
            r.start();
            try (Harness h = Harness.connect(config, t.listener(), new StallingConnector(t.connector(), 1, STALLS))) {
                BlobClient c = h.client();
                for (int round = 1; round <= ROUNDS; round++) {
                    for (int blob = 0; blob < BLOBS; blob++) {
                        c.add(blob, round, 4096);
                        c.flush();
                    }
                    h.sender.sync();
                }
                sent = h.sender.finish();
                received = h.receiver.await();
            }
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);

        // the statistics: k syncs plus finish()'s make k + 1 epochs, whose figures add up to the totals
        for (MigrationStats s : List.of(sent, received)) {
            assertThat(s.perEpoch()).extracting(EpochStats::epoch).containsExactly(0L, 1L, 2L, 3L);
            assertThat(s.perEpoch().stream().mapToLong(EpochStats::packets).sum()).isEqualTo(s.packets());
            assertThat(s.perEpoch().stream().mapToLong(EpochStats::rawBytes).sum()).isEqualTo(s.rawBytes());
            assertThat(s.perEpoch().get(ROUNDS).packets()).as("finish()'s epoch carries no data").isZero();
            for (int e = 0; e < ROUNDS; e++) {
                assertThat(s.perEpoch().get(e).packets()).as("epoch %d", e).isEqualTo(BLOBS);
            }
        }
        assertThat(received.perEpoch()).extracting(EpochStats::rawBytes)
                .isEqualTo(sent.perEpoch().stream().map(EpochStats::rawBytes).toList());

        // one round event per epoch and side, with the same figures
        for (MigrationStats s : List.of(sent, received)) {
            String side = s == sent ? "sender" : "receiver";
            List<RecordedEvent> rounds = named(events, "io.multifd.Round", side);
            assertThat(rounds).as("%s rounds", side).hasSize(ROUNDS + 1);
            for (RecordedEvent e : rounds) {
                EpochStats ep = s.perEpoch().get((int) e.getLong("epoch"));
                assertThat(e.getLong("packets")).isEqualTo(ep.packets());
                assertThat(e.getLong("rawBytes")).isEqualTo(ep.rawBytes());
                assertThat(e.getLong("wireBytes")).isEqualTo(ep.wireBytes());
                assertThat(e.getString("session")).isEqualTo(s.sessionId().toString());
            }
            assertThat(named(events, "io.multifd.Sync", side)).as("%s syncs", side).hasSize(ROUNDS + 1);
            List<RecordedEvent> migrations = named(events, "io.multifd.Migration", side);
            assertThat(migrations).hasSize(1);
            assertThat(migrations.get(0).getString("outcome")).isEqualTo("completed");
            assertThat(migrations.get(0).getLong("packets")).isEqualTo(s.packets());
            assertThat(migrations.get(0).getLong("wireBytes")).isEqualTo(s.wireBytes());
        }

        // one blocked-channel event per provoked stall, all on the slow channel
        assertThat(sent.perChannel().get(1).packets()).as("the slow channel carried the stalled packets")
                .isGreaterThanOrEqualTo(STALLS);
        List<RecordedEvent> stalls = named(events, "io.multifd.ChannelBlocked", "sender").stream()
                .filter(e -> e.getString("direction").equals("write")).toList();
        assertThat(stalls).as("blocked writes").hasSize(STALLS);
        for (RecordedEvent e : stalls) {
            assertThat(e.getInt("channel")).isEqualTo(1);
            assertThat(e.getString("operation")).isEqualTo("packet");
            assertThat(e.getDuration()).isGreaterThanOrEqualTo(STALL);
            assertThat(e.getLong("bytes")).isPositive();
        }
        ChannelStats slow = sent.perChannel().get(1);
        assertThat(slow.writeBlocked()).as("time blocked writing").isGreaterThanOrEqualTo(STALL.multipliedBy(STALLS));
        assertThat(sent.perChannel().get(0).writeBlocked()).isLessThan(slow.writeBlocked());
        assertThat(received.perChannel()).allSatisfy(ch -> assertThat(ch.readBlocked()).isPositive());

        // the INFO lines: start, each epoch, end, on both sides
        logs.assertLogged(System.Logger.Level.INFO, "migration " + sent.sessionId() + " started: 2 channels to");
        logs.assertLogged(System.Logger.Level.INFO, "migration " + sent.sessionId() + " completed: " + sent.packets()
                + " packets");
        logs.assertLogged(System.Logger.Level.INFO, "migration " + received.sessionId() + " started: 2 channels on");
        assertThat(logs.records(System.Logger.Level.INFO).stream()
                .filter(l -> l.message().contains("sender: epoch ")).count()).isEqualTo(ROUNDS + 1);
        assertThat(logs.records(System.Logger.Level.INFO).stream()
                .filter(l -> l.message().contains("receiver: epoch ")).count()).isEqualTo(ROUNDS + 1);
    }

    @Test
    void aRefusedConnectionIsRecorded(@TempDir Path dir) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(1).acceptTimeout(Duration.ofSeconds(2)).build();
        Path file = dir.resolve("refused.jfr");
        try (Recording r = new Recording()) {
            r.enable("io.multifd.ConnectionRefused");
            r.enable("io.multifd.Migration");
            r.start();
            try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener()).build().start()) {
                try (TransportChannel c = t.connector().connect(0, Duration.ofSeconds(5))) {
                    c.write(ByteBuffer.wrap("this is not a multifd hello, but long enough to read".getBytes()));
                    // dropped, not failed: the receiver fails only when its own accept timeout passes
                    assertThatThrownBy(receiver::await).hasMessageContaining("0 of the expected channels connected")
                            .hasMessageContaining("the last connection dropped");
                }
            }
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        List<RecordedEvent> refused = named(events, "io.multifd.ConnectionRefused", null);
        assertThat(refused).hasSize(1);
        assertThat(refused.get(0).getString("action")).isEqualTo("dropped");
        assertThat(refused.get(0).getString("reason")).isNotBlank();
        assertThat(named(events, "io.multifd.Migration", "receiver")).as("no channel was accepted").isEmpty();
    }

    @Test
    void theBandwidthCapCanBeLiftedWhileTheMigrationRuns() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        // 4 KiB/s: the 2 MiB below would take over eight minutes, far past the test's timeout
        MultiFdConfig config = MultiFdConfig.builder().channels(CHANNELS).maxBandwidth(4096).build();
        try (Harness h = Harness.connect(config, t.listener(), t.connector())) {
            assertThat(h.sender.maxBandwidth()).isEqualTo(4096);
            assertThatThrownBy(() -> h.sender.maxBandwidth(100)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("4096");
            CompletableFuture<MigrationStats> done = Async.supply(() -> {
                try {
                    BlobClient c = h.client();
                    for (int blob = 0; blob < 512; blob++) {
                        c.add(blob, 1, 4096);
                    }
                    c.flush();
                    return h.sender.finish();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // the cap holds the transfer back (at 4 KiB/s a second moves at most a few KiB) ...
            assertThatThrownBy(() -> done.get(1, java.util.concurrent.TimeUnit.SECONDS))
                    .isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(h.sender.stats().rawBytes()).isLessThan(512L * 4096);
            // ... until it is lifted: then the rest goes at full speed, well within the wait below
            h.sender.maxBandwidth(0);
            assertThat(h.sender.maxBandwidth()).isZero();
            MigrationStats s = done.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(s.rawBytes()).isEqualTo(512L * 4096);
            assertThat(h.receiver.await().rawBytes()).isEqualTo(512L * 4096);
        }
    }
}
