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
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * THE live test (QEMU's memory correctness oracle, re-created): while the source keeps changing,
 * pre-copy runs several rounds over 4 channels whose deliveries are delayed independently; then
 * the writers are paused, the final round runs, and the destination must equal the source exactly,
 * with the swept region showing generation g or g-1 and one edge at most.
 */
@Timeout(120)
class RamLiveMigrationTest {

    static final long IMAGE = 32L << 20;
    static final long SWEEP = 4L << 20;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void liveMigrationEndsExact(long seed) throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, seed);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        DirtyBitmap dirty = new DirtyBitmap(src);
        LiveWriters writers = new LiveWriters(src, dirty, 0, SWEEP, seed);
        List<RoundStats> rounds = Collections.synchronizedList(new ArrayList<>());
        RoundListener listener = new RoundListener() {
            @Override
            public void onRoundFinished(RoundStats stats) {
                rounds.add(stats);
                if (!stats.last()) {
                    // test hook: let the sweeper dirty pages between rounds however threads are scheduled
                    try {
                        writers.awaitSweep(256);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        // odd seeds: registered destination (zero pages checked); even seeds: known-zero destination
        // (zero pages for pages not yet written are skipped)
        RamDestination destination = seed % 2 == 1 ? RamDestination.of(dst) : RamDestination.creatingZeroed(i -> dst);
        RecordingRamPayload rx = new RecordingRamPayload(RamPayload.receiving(destination));
        PreCopy.Result[] result = new PreCopy.Result[1];
        try {
            Migrations.migrate(Migrations.Kind.DELAYED_MEMORY, seed, 4, List.of(src), rx, MigrationListener.NONE, saver -> {
                saver.roundListener(listener);
                writers.start();
                result[0] = PreCopy.builder(saver, List.of(dirty)).maxRounds(4).downtimeTarget(Duration.ZERO)
                        .pause((converged, pages, estimate) -> writers.stop()).build().run();
            });
        } finally {
            writers.stop();
        }
        List<Long> mismatches = Images.firstMismatches(src, dst);
        assertThat(mismatches).as("seed %d: first mismatching page offsets", seed).isEmpty();
        assertThat(Images.sha256(dst)).as("seed %d", seed).isEqualTo(Images.sha256(src));
        writers.checkSweep(dst);
        PreCopy.Result r = result[0];
        assertThat(r.rounds()).as("seed %d: rounds", seed).hasSizeGreaterThanOrEqualTo(3);
        assertThat(r.finalRound().last()).isTrue();
        assertThat(rounds).hasSize(r.rounds().size());
        assertThat(rounds.get(1).items()).as("round 2 re-sent dirtied pages").isPositive();
        assertThat(rx.resentOnOtherChannel.get()).as("seed %d: pages re-sent on another channel", seed).isPositive();
        assertThat(rx.maxEpoch.get()).isGreaterThanOrEqualTo(r.rounds().size() - 1);
    }
}
