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

import io.multifd.api.MigrationListener;
import io.multifd.api.MultiFdConfig;
import io.multifd.testing.LoopbackSendSession;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The saver and the pre-copy driver against a synchronous stand-in session. */
@Timeout(60)
class RamSaverTest {

    static class Events implements MigrationListener, RoundListener {
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final List<RoundStats> rounds = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onRoundStarted(int round, long plannedItems, long plannedBytes) {
            log.add("start " + round + " " + plannedItems);
        }

        @Override
        public void onRoundProgress(int round, long doneItems, long doneBytes) {
            log.add("progress " + round);
        }

        @Override
        public void onRoundFinished(RoundStats stats) {
            rounds.add(stats);
            log.add("finish " + stats.round());
        }

        @Override
        public void onSync(long epoch) {
            log.add("sync " + epoch);
        }
    }

    static LoopbackSendSession session(int channels, List<RamBlock> dst, MigrationListener l) {
        return new LoopbackSendSession(MultiFdConfig.builder().channels(channels).build())
                .register(RamPayload.sending(), RamPayload.receiving(RamDestination.of(dst))).listener(l);
    }

    /** Sees every page a RAM packet applied: (channel, epoch, block, offset). */
    interface PageObserver {
        void page(int channel, long epoch, String block, long offset);
    }

    /** Reads the pages of each applied RAM packet from its documented payload header. */
    static LoopbackSendSession.PacketObserver pages(PageObserver pages) {
        return (packet, typeId) -> {
            ByteBuffer h = packet.header();
            int n = h.getShort(2) & 0xFFFF;
            byte[] name = new byte[n];
            h.get(12, name);
            int total = h.getInt(4) + h.getInt(8);
            for (int i = 0; i < total; i++) {
                pages.page(packet.channelId(), packet.epoch(), new String(name, StandardCharsets.UTF_8),
                        h.getLong(12 + n + 8 * i));
            }
        };
    }

    static long packets(LoopbackSendSession s) {
        return s.stats().packets();
    }

    @Test
    void saveAllMovesEverythingAndReportsTheRound() throws IOException {
        RamBlock a = RamBlock.allocate("a", (80L << 20) + 300);
        RamBlock b = RamBlock.allocate("b", 1 << 20, 512);
        Images.fillMixed(a, 11);
        Images.fillMixed(b, 12);
        RamBlock da = RamBlock.allocate("a", a.length());
        RamBlock db = RamBlock.allocate("b", 1 << 20, 512);
        Events ev = new Events();
        LoopbackSendSession s = session(3, List.of(da, db), ev);
        RamSaver saver = RamSaver.open(s, a, b).roundListener(ev);
        assertThatThrownBy(() -> RamSaver.open(s, a)).isInstanceOf(IllegalStateException.class);
        s.connect();
        RoundStats r = saver.saveAll();
        assertThat(Images.sha256(da)).isEqualTo(Images.sha256(a));
        assertThat(Images.sha256(db)).isEqualTo(Images.sha256(b));
        assertThat(r.round()).isEqualTo(1);
        assertThat(r.items()).isEqualTo(a.pageCount() + b.pageCount());
        assertThat(r.elidedItems()).isEqualTo(s.stats().payload(RamPayload.NAME).orElseThrow().elidedItems())
                .isGreaterThan(0);
        assertThat(r.rawBytes()).isEqualTo(s.stats().rawBytes());
        assertThat(r.remaining()).isZero();
        assertThat(r.last()).isFalse();
        assertThat(ev.log).startsWith("start 1 " + (a.pageCount() + b.pageCount()), "progress 1")
                .endsWith("sync 0", "finish 1");
        // one packet per 128 pages of a (block change flushes), per 1024 pages of b
        assertThat(packets(s)).isEqualTo((a.pageCount() + 127) / 128 + (b.pageCount() + 1023) / 1024);
        s.close();
    }

    @Test
    void aThrowingRoundListenerDoesNotStopTheRound(CapturedLogs logs) throws IOException {
        RamBlock a = RamBlock.allocate("a", 80L << 20);
        Images.fillMixed(a, 21);
        RamBlock da = RamBlock.allocate("a", a.length());
        LoopbackSendSession s = session(2, List.of(da), MigrationListener.NONE);
        List<String> called = Collections.synchronizedList(new ArrayList<>());
        RamSaver saver = RamSaver.open(s, a).roundListener(new RoundListener() {
            @Override
            public void onRoundStarted(int round, long plannedPages, long plannedBytes) {
                called.add("start");
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onRoundProgress(int round, long donePages, long doneBytes) {
                called.add("progress");
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void onRoundFinished(RoundStats stats) {
                called.add("finish");
                throw new IllegalStateException("listener bug");
            }
        });
        s.connect();
        RoundStats r = saver.saveAll();
        assertThat(Images.sha256(da)).isEqualTo(Images.sha256(a));
        assertThat(r.items()).isEqualTo(a.pageCount());
        assertThat(called).startsWith("start", "progress").endsWith("finish");
        for (String event : List.of("onRoundStarted", "onRoundProgress", "onRoundFinished")) {
            assertThat(logs.records(System.Logger.Level.WARNING)).as("the %s failure is logged", event)
                    .anySatisfy(e -> assertThat(e.message()).contains("round listener threw from " + event));
        }
        s.close();
    }

    @Test
    void queuePageChecksAndFlushesOnBlockChange() throws IOException {
        RamBlock a = RamBlock.allocate("a", 1 << 20);
        RamBlock b = RamBlock.allocate("b", 1 << 20);
        a.putLong(0, 1);
        b.putLong(4096, 2);
        RamBlock da = RamBlock.allocate("a", 1 << 20);
        RamBlock db = RamBlock.allocate("b", 1 << 20);
        LoopbackSendSession s = session(2, List.of(da, db), MigrationListener.NONE);
        RamSaver saver = RamSaver.open(s, List.of(a, b));
        s.connect();
        saver.queuePage(a, 0);
        saver.queuePage(a, 4096);
        assertThat(packets(s)).isZero();
        saver.queuePage(b, 4096);
        assertThat(packets(s)).isEqualTo(1);
        saver.flush();
        assertThat(packets(s)).isEqualTo(2);
        saver.flush();
        assertThat(packets(s)).isEqualTo(2);
        assertThat(db.getLong(4096)).isEqualTo(2);
        assertThat(da.getLong(0)).isEqualTo(1);
        assertThatThrownBy(() -> saver.queuePage(RamBlock.allocate("a", 1 << 20), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> saver.queuePage(a, 100)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> saver.saveDirty(new DirtyBitmap(RamBlock.allocate("x", 4096))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void openRefusesBlocksThatDoNotFitThePacketCaps() {
        LoopbackSendSession s = new LoopbackSendSession(MultiFdConfig.builder().maxPacketDataLength(1 << 20).build())
                .register(RamPayload.sending(), RamPayload.sending());
        assertThatThrownBy(() -> RamSaver.open(s, RamBlock.allocate("h", 4 << 20, 2 << 20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPacketDataLength");
        assertThatThrownBy(() -> RamSaver.open(s, RamBlock.allocate("h", 4096), RamBlock.allocate("h", 4096)))
                .hasMessageContaining("two blocks");
    }

    /**
     * Pre-copy with live writers against the stand-in session: a sweeper increments a generation
     * counter page by page, random writers dirty the rest; rounds go on until the limit, the pause
     * stops them, the final round makes the destination equal.
     */
    @Test
    void preCopyWithLiveWritersEndsEqual() throws Exception {
        long seed = 20240601L;
        RamBlock src = RamBlock.allocate("pc.ram", 8 << 20);
        Images.fillMixed(src, seed);
        RamBlock dst = RamBlock.allocate("pc.ram", 8 << 20);
        LiveWriters[] w = new LiveWriters[1];
        Events ev = new Events() {
            @Override
            public void onRoundFinished(RoundStats stats) {
                super.onRoundFinished(stats);
                if (!stats.last()) {
                    try {
                        w[0].awaitSweep(16); // test hook: dirty pages exist whatever the scheduling
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        LoopbackSendSession s = session(4, List.of(dst), ev);
        Map<Long, Long> lastEpoch = new HashMap<>();
        int[] resent = {0};
        s.observer(pages((ch, epoch, block, off) -> {
            Long prev = lastEpoch.put(off, epoch);
            if (prev != null && prev < epoch) {
                resent[0]++; // (which channel carries a copy is the core's business: see RamLiveMigrationTest)
            }
        }));
        RamSaver saver = RamSaver.open(s, src).roundListener(ev);
        s.connect();
        DirtyBitmap dirty = new DirtyBitmap(src);
        LiveWriters writers = new LiveWriters(src, dirty, 0, 2 << 20, seed);
        w[0] = writers;
        writers.start();
        try {
            PreCopy.Result res = PreCopy.builder(saver, List.of(dirty)).maxRounds(5).downtimeTarget(Duration.ZERO)
                    .pause((converged, pages, est) -> writers.stop()).build().run();
            assertThat(res.rounds()).hasSize(5);
            assertThat(res.finalRound().last()).isTrue();
            assertThat(res.converged()).isFalse();
        } finally {
            writers.stop();
        }
        assertThat(Images.firstMismatches(src, dst)).as("seed %d", seed).isEmpty();
        writers.checkSweep(dst);
        assertThat(ev.rounds).hasSize(5);
        assertThat(resent[0]).as("pages sent again in a later round").isPositive();
    }

    @Test
    void preCopyConvergesWhenNothingIsWritten() throws Exception {
        RamBlock src = RamBlock.allocate("m", 1 << 20);
        RamBlock dst = RamBlock.allocate("m", 1 << 20);
        Images.fillMixed(src, 5);
        LoopbackSendSession s = session(2, List.of(dst), MigrationListener.NONE);
        RamSaver saver = RamSaver.open(s, src);
        s.connect();
        DirtyBitmap d = new DirtyBitmap(src);
        boolean[] paused = {false};
        PreCopy.Result r = PreCopy.builder(saver, List.of(d)).pause((c, p, e) -> paused[0] = c).build().run();
        assertThat(r.converged()).isTrue();
        assertThat(paused[0]).isTrue();
        assertThat(r.rounds()).hasSize(2);
        assertThat(r.finalRound().items()).isZero();
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
    }

    @Test
    void preCopyCanFailInsteadOfForcingTheSwitchOver() throws Exception {
        RamBlock src = RamBlock.allocate("m", 1 << 20);
        LoopbackSendSession s = session(2, List.of(RamBlock.allocate("m", 1 << 20)), MigrationListener.NONE);
        RamSaver saver = RamSaver.open(s, src);
        s.connect();
        DirtyBitmap d = new DirtyBitmap(src);
        // a "writer" that dirties everything between rounds, via the listener
        s.observer(pages((c, e, b, o) -> d.mark(o)));
        boolean[] paused = {false};
        assertThatThrownBy(() -> PreCopy.builder(saver, List.of(d)).maxRounds(3).downtimeTarget(Duration.ZERO)
                .failIfNotConverged(true).pause((c, p, e) -> paused[0] = true).build().run())
                .isInstanceOfSatisfying(NotConvergedException.class, e -> {
                    assertThat(e.rounds()).isEqualTo(2);
                    assertThat(e.dirtyPages()).isEqualTo(256);
                });
        assertThat(paused[0]).isFalse();
    }

    @Test
    void driversSayWhatTheirBuilderLacks() {
        RamBlock src = RamBlock.allocate("m", 1 << 20);
        LoopbackSendSession s = session(2, List.of(RamBlock.allocate("m", 1 << 20)), MigrationListener.NONE);
        RamSaver saver = RamSaver.open(s, src);
        assertThatThrownBy(() -> PreCopy.builder(saver, List.of(new DirtyBitmap(src))).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("PreCopy needs a pause callback");
        assertThatThrownBy(() -> PreCopy.builder(saver, null)).isInstanceOf(NullPointerException.class).hasMessage("bitmaps");
        assertThatThrownBy(() -> PreCopy.builder(saver, List.of()).downtimeTarget(null))
                .isInstanceOf(NullPointerException.class).hasMessage("downtimeTarget");
        assertThatThrownBy(() -> RamSaver.open(s, (List<RamBlock>) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("blocks");
        PostcopyAccess access = new PostcopyAccess();
        assertThatThrownBy(() -> access.require(src, 0, 1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must not be negative: PT-1S");
        assertThatThrownBy(() -> access.require(src, 0, 1, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("timeout");
    }
}
