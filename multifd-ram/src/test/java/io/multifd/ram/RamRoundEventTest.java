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

import io.multifd.api.EpochStats;
import io.multifd.api.MigrationListener;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RAM saver records one {@code io.multifd.ram.Round} flight-recorder event per round, with
 * the figures its round listener gets; RAM round n is the engine's epoch n - 1, and the engine's
 * {@code io.multifd.Round} events agree with it on the raw bytes.
 */
@Timeout(60)
class RamRoundEventTest {

    @Test
    void oneEventPerRoundMatchingTheRoundStatsAndTheEngineEpochs(@TempDir Path dir) throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 4L << 20);
        Images.fillMixed(src, 7);
        RamBlock dst = RamBlock.allocate("pc.ram", 4L << 20);
        List<RoundStats> rounds = Collections.synchronizedList(new ArrayList<>());
        RoundListener listener = new RoundListener() {
            @Override
            public void onRoundFinished(RoundStats stats) {
                rounds.add(stats);
            }
        };
        Path file = dir.resolve("ram.jfr");
        Migrations.Result result;
        try (Recording r = new Recording()) {
            r.enable("io.multifd.ram.Round");
            r.enable("io.multifd.Round");
            r.start();
            result = Migrations.migrate(Migrations.Kind.MEMORY, 7, 2, List.of(src),
                    RamPayload.receiving(RamDestination.of(dst)), MigrationListener.NONE, saver -> {
                        DirtyBitmap dirty = new DirtyBitmap(src);
                        saver.roundListener(listener).saveAll(List.of(dirty));
                        for (long page = 0; page < 100; page++) {
                            dirty.markPage(page * 3); // "written" while round 1 ran
                        }
                        saver.saveDirty(dirty);
                        dirty.markPage(5);
                        saver.saveFinal(List.of(dirty));
                    });
            r.stop();
            r.dump(file);
        }
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        List<RecordedEvent> ram = all.stream().filter(e -> e.getEventType().getName().equals("io.multifd.ram.Round"))
                .sorted(Comparator.comparingInt(e -> e.getInt("round"))).toList();
        assertThat(rounds).hasSize(3);
        assertThat(ram).hasSize(3);
        for (int i = 0; i < 3; i++) {
            RoundStats s = rounds.get(i);
            RecordedEvent e = ram.get(i);
            assertThat(e.getInt("round")).isEqualTo(s.round()).isEqualTo(i + 1);
            assertThat(e.getLong("pages")).isEqualTo(s.items());
            assertThat(e.getLong("zeroPages")).isEqualTo(s.elidedItems());
            assertThat(e.getLong("rawBytes")).isEqualTo(s.rawBytes());
            assertThat(e.getLong("remaining")).isEqualTo(s.remaining());
            assertThat(e.getBoolean("last")).isEqualTo(s.last()).isEqualTo(i == 2);
            assertThat(e.getString("session")).isEqualTo(result.sender().sessionId().toString());
            // the same round as the engine saw it: epoch i, exact on both sides
            EpochStats epoch = result.sender().perEpoch().get(i);
            assertThat(epoch.rawBytes()).isEqualTo(s.rawBytes());
            assertThat(result.receiver().perEpoch().get(i).rawBytes()).isEqualTo(s.rawBytes());
        }
        assertThat(rounds.get(1).items()).isEqualTo(100);
        assertThat(result.sender().perEpoch()).as("3 rounds, then finish()'s epoch").hasSize(4);
        assertThat(all.stream().filter(e -> e.getEventType().getName().equals("io.multifd.Round"))
                .filter(e -> e.getString("side").equals("sender"))).hasSize(4);
    }
}
