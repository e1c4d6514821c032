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

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Post-copy's flight-recorder events: one {@code io.multifd.ram.Postcopy} on the source with the
 * figures of the driver's result, and one {@code io.multifd.ram.PostcopyWait} per {@code require}
 * call that waited on the destination, as many as the access object's latency count.
 */
@Timeout(120)
class PostcopyEventTest {

    @Test
    void theSourceRecordsThePostcopyAndTheDestinationEachWait(@TempDir Path dir) throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 8L << 20);
        Images.fillMixed(src, 29);
        RamBlock dst = RamBlock.allocate("pc.ram", src.length());
        PostcopyAccess access = new PostcopyAccess();
        Path file = dir.resolve("postcopy.jfr");
        PostCopyMigrationTest.Run run;
        try (Recording r = new Recording()) {
            r.enable("io.multifd.ram.Postcopy");
            r.enable("io.multifd.ram.PostcopyWait").withThreshold(Duration.ZERO);
            r.start();
            run = PostCopyMigrationTest.migrate("none", 2, src, dst, access, new DirtyBitmap(src),
                    b -> b.afterRounds(0), RoundListener.NONE, () -> { }, 2, 29);
            r.stop();
            r.dump(file);
        }
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        List<RecordedEvent> all = RecordingFile.readAllEvents(file);
        assertThat(all.stream().filter(e -> e.getEventType().getName().equals("io.multifd.ram.Postcopy")))
                .singleElement().satisfies(e -> {
                    assertThat(e.getString("session")).isEqualTo(run.sent().sessionId().toString());
                    assertThat(e.getBoolean("resumed")).isFalse();
                    assertThat(e.getLong("downtime")).isEqualTo(run.result().downtime().toNanos()).isPositive();
                    assertThat(e.getLong("missingPages")).isEqualTo(run.result().missingPages())
                            .isEqualTo(src.pageCount());
                    assertThat(e.getLong("requests")).isEqualTo(run.result().requests());
                    assertThat(e.getLong("requestedPages")).isEqualTo(run.result().requestedPages());
                    assertThat(e.getDuration()).isGreaterThanOrEqualTo(run.result().downtime());
                });
        assertThat(access.latency().count()).as("the readers waited for missing pages").isPositive();
        List<RecordedEvent> waits = all.stream()
                .filter(e -> e.getEventType().getName().equals("io.multifd.ram.PostcopyWait")).toList();
        assertThat(waits).hasSize((int) access.latency().count()).allSatisfy(e -> {
            assertThat(e.getString("block")).isEqualTo("pc.ram");
            assertThat(e.getLong("pages")).isEqualTo(1);
            assertThat(e.getLong("firstPage")).isBetween(0L, src.pageCount() - 1);
        });
    }
}
