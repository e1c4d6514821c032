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
import io.multifd.api.SetupRefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RamDestination#finished()} runs once every page was applied and before COMPLETED: it
 * sees the whole image, and a failure there fails the migration on both sides (what
 * {@code recv --fsync} relies on to force its file before the sender is told "completed").
 */
@Timeout(60)
class RamDestinationFinishedTest {

    private static final int IMAGE = 2 << 20;

    /** A destination over one block that hashes the block when told it is finished. */
    private static final class Hooked implements RamDestination {
        final RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        final AtomicInteger calls = new AtomicInteger();
        final AtomicReference<String> hashAtFinish = new AtomicReference<>();
        final IOException failure;

        Hooked(IOException failure) {
            this.failure = failure;
        }

        @Override
        public List<RamBlock> open(RamSetupRecord announced) throws SetupRefusedException {
            return RamDestination.of(dst).open(announced);
        }

        @Override
        public void finished() throws IOException {
            calls.incrementAndGet();
            hashAtFinish.set(Images.sha256(dst));
            if (failure != null) {
                throw failure;
            }
        }
    }

    @Test
    void finishedSeesEveryPageAndRunsOnce() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, 7);
        Hooked dest = new Hooked(null);
        Migrations.migrate(Migrations.Kind.TCP, 7, 2, List.of(src), RamPayload.receiving(dest),
                MigrationListener.NONE, RamSaver::saveAll);
        assertThat(dest.calls).hasValue(1);
        assertThat(dest.hashAtFinish).hasValue(Images.sha256(src));
    }

    @Test
    void aFailureInFinishedFailsTheMigrationOnBothSides() throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, 8);
        Hooked dest = new Hooked(new IOException("cannot force dst.img.part: EIO"));
        assertThatThrownBy(() -> Migrations.migrate(Migrations.Kind.TCP, 8, 2, List.of(src),
                RamPayload.receiving(dest), MigrationListener.NONE, RamSaver::saveAll))
                .hasMessageContaining("cannot force dst.img.part: EIO")
                .satisfies(e -> assertThat(e.getSuppressed()).as("the receiver failed too").isNotEmpty());
        assertThat(dest.calls).hasValue(1);
    }
}
