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

import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.PayloadStats;
import io.multifd.api.ProtocolCode;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Byte-exact migrations through the real core, over in-memory pipes and TCP loopback. */
@Timeout(120)
class RamMigrationTest {

    static final long IMAGE = (32L << 20) + 2_000; // 32 MiB and a partial page

    static Stream<Arguments> transportsAndChannels() {
        List<Arguments> a = new ArrayList<>();
        for (Migrations.Kind k : new Migrations.Kind[]{Migrations.Kind.MEMORY, Migrations.Kind.TCP, Migrations.Kind.TLS}) {
            for (int c : new int[]{1, 2, 4, 8}) {
                a.add(Arguments.of(k, c));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0}, {1} channels")
    @MethodSource("transportsAndChannels")
    void mixedImageArrivesExactly(Migrations.Kind kind, int channels) throws Exception {
        long seed = 1000 + channels + kind.ordinal() * 100L;
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, seed);
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        List<RoundStats> rounds = Collections.synchronizedList(new ArrayList<>());
        RoundListener l = new RoundListener() {
            @Override
            public void onRoundFinished(RoundStats stats) {
                rounds.add(stats);
            }
        };
        Migrations.Result r = Migrations.migrate(kind, seed, channels, List.of(src),
                RamPayload.receiving(RamDestination.of(dst)), MigrationListener.NONE,
                saver -> saver.roundListener(l).saveAll());
        assertThat(Images.sha256(dst)).as("seed %d, first mismatches %s", seed, Images.firstMismatches(src, dst))
                .isEqualTo(Images.sha256(src));
        PayloadStats sent = r.sender().payload("ram").orElseThrow();
        PayloadStats got = r.receiver().payload("ram").orElseThrow();
        assertThat(sent.items() + sent.elidedItems()).isEqualTo(src.pageCount());
        assertThat(got.items()).isEqualTo(sent.items());
        assertThat(got.elidedItems()).isEqualTo(sent.elidedItems()).isGreaterThan(src.pageCount() / 4);
        assertThat(rounds).singleElement().satisfies(s -> {
            assertThat(s.items()).isEqualTo(src.pageCount());
            assertThat(s.elidedItems()).isEqualTo(sent.elidedItems());
            assertThat(s.rawBytes()).isEqualTo(sent.rawBytes());
        });
        assertThat(r.sender().perChannel()).hasSize(channels)
                .allSatisfy(c -> assertThat(c.packets()).as("channel %d carried packets", c.channel()).isPositive());
    }

    @Test
    void severalBlocksWithDifferentPageSizes() throws Exception {
        List<RamBlock> src = List.of(RamBlock.allocate("pc.ram", 8L << 20),
                RamBlock.allocate("vga.vram", (1L << 20) + 512 * 3 + 7, 512),
                RamBlock.allocate("hugepages", 8L << 20, 2 << 20),
                RamBlock.allocate("rom", 300 * 1024, 64 << 10));
        List<RamBlock> made = Collections.synchronizedList(new ArrayList<>());
        long seed = 77;
        for (RamBlock b : src) {
            Images.fillMixed(b, seed++);
        }
        Migrations.migrate(Migrations.Kind.DELAYED_MEMORY, seed, 4, src,
                RamPayload.receiving(RamDestination.allocating(made)), MigrationListener.NONE, RamSaver::saveAll);
        assertThat(made).hasSize(4);
        for (int i = 0; i < src.size(); i++) {
            assertThat(made.get(i).pageSize()).isEqualTo(src.get(i).pageSize());
            assertThat(Images.sha256(made.get(i))).as(src.get(i).name()).isEqualTo(Images.sha256(src.get(i)));
        }
    }

    /** A 3 GiB block (sparse mapped files on both sides): the pages around 2 GiB and at the end. */
    @Test
    void blockBeyondTwoGiBAroundItsBoundary(@TempDir Path dir) throws Exception {
        long gib = 1L << 30;
        long len = 3 * gib + 904;
        RamBlock src = RamBlock.map("big", dir.resolve("src.img"), len, 4096, true);
        long[] data = {0, 2 * gib - 8192, 2 * gib - 4096, 2 * gib, 2 * gib + 4096, len - 904};
        long[] zero = {2 * gib - 12288, 2 * gib + 8192, len - 904 - 4096};
        for (long off : data) {
            src.putLong(off, ~off);
            src.put(off + src.pageLength(off) - 1, new byte[]{(byte) 0x7F}, 0, 1);
        }
        List<RamBlock> made = Collections.synchronizedList(new ArrayList<>());
        Path out = dir.resolve("dst.img");
        // only the pages around the boundary are sent: the receiver must not insist on every page
        RamPayload rx = RamPayload.builder().requireEveryPage(false).destination(RamDestination.creating(info -> {
            RamBlock b = RamBlock.map(info.name(), out, info.length(), info.pageSize(), true);
            made.add(b);
            return b;
        })).build();
        Migrations.migrate(Migrations.Kind.MEMORY, 5, 2, List.of(src), rx, MigrationListener.NONE, saver -> {
            for (long off : data) {
                saver.queuePage(src, off);
            }
            for (long off : zero) {
                saver.queuePage(src, off);
            }
            saver.sync();
        });
        RamBlock dst = made.get(0);
        dst.force();
        for (long off : data) {
            assertThat(dst.getLong(off)).as("page %d", off).isEqualTo(~off);
            assertThat(dst.get(off + dst.pageLength(off) - 1)).isEqualTo((byte) 0x7F);
        }
        for (long off : zero) {
            assertThat(dst.isZeroPage(off)).isTrue();
        }
        assertThat(java.nio.file.Files.size(out)).isEqualTo(len);
        assertThat(RamBlockTest.allocatedBytes(out)).isLessThan(64L << 20);
    }

    @Test
    void aManifestOverTheReceiversLimitIsRefusedBeforeAnyPage(CapturedLogs logs) throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 8L << 20);
        RamPayload rx = RamPayload.builder().maxTotalBytes(4L << 20)
                .destination(RamDestination.allocating(new ArrayList<>())).build();
        assertThatThrownBy(() -> Migrations.migrate(Migrations.Kind.MEMORY, 1, 2, List.of(src), rx,
                MigrationListener.NONE, RamSaver::saveAll))
                .satisfies(e -> assertThat(refusal(e).code()).isEqualTo(ProtocolCode.SETUP_REFUSED))
                .hasMessageContaining("ram.setup.blockLength").hasMessageContaining("maxTotalBytes");
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: the receiver refused the manifest: ram: ram setup record: field 'ram.setup.blockLength'",
                Duration.ofSeconds(10));
    }

    @Test
    void anUnknownBlockIsRefusedBeforeAnyPage(CapturedLogs logs) throws Exception {
        RamBlock src = RamBlock.allocate("pc.ram", 1L << 20);
        RamBlock other = RamBlock.allocate("other", 1L << 20);
        assertThatThrownBy(() -> Migrations.migrate(Migrations.Kind.TCP, 1, 2, List.of(src),
                RamPayload.receiving(RamDestination.of(other)), MigrationListener.NONE, RamSaver::saveAll))
                .satisfies(e -> assertThat(refusal(e).code()).isEqualTo(ProtocolCode.SETUP_REFUSED))
                .hasMessageContaining("'ram.setup.name' = pc.ram");
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: the receiver refused the manifest: ram: ram setup record: field 'ram.setup.name' = pc.ram",
                Duration.ofSeconds(10));
    }

    /** connect() reports the refusal itself or wrapped in a MigrationFailedException. */
    static HandshakeRefusedException refusal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof HandshakeRefusedException h) {
                return h;
            }
        }
        throw new AssertionError("no HandshakeRefusedException in the chain", t);
    }
}
