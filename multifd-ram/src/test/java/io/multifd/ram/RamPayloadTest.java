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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.testing.FakeDataTargets;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.FakeOutgoingPacket;
import io.multifd.testing.FakeReceiveContext;
import io.multifd.testing.FakeSendChannelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Encoder -> stub packet -> receiver, without the core. */
@Timeout(60)
class RamPayloadTest {

    static final MultiFdConfig CONFIG = MultiFdConfig.defaults();

    /** One sending and one receiving channel for a set of blocks. */
    static final class Pipe {
        final RamPayload send;
        final PayloadEncoder<RamBody> encoder;
        final PayloadReceiver receiver;
        final PayloadChannelReceiver channel;
        final FakeOutgoingPacket out = new FakeOutgoingPacket(0, CONFIG);
        long items;
        long elided;
        long rxItems;
        long rxElided;
        int packets;

        Pipe(RamPayload send, List<RamBlock> src, List<RamBlock> dst) throws IOException {
            this(send, src, RamDestination.of(dst));
        }

        Pipe(RamPayload send, List<RamBlock> src, RamDestination dst) throws IOException {
            this.send = send;
            this.encoder = send.newEncoder(new FakeSendChannelContext(0, 1, CONFIG));
            ByteBuffer record = RamSetupRecord.of(send.batchBytes(), src).encode();
            this.receiver = RamPayload.receiving(dst).openReceiver(FakeReceiveContext.strict(1, CONFIG), record);
            this.channel = receiver.openChannel(0);
        }

        /** Sends the pages of {@code body} (prepare + deliver) and returns the data buffers used. */
        List<ByteBuffer> send(RamBody body) throws IOException {
            out.reset();
            encoder.prepare(body, out);
            List<ByteBuffer> used = new ArrayList<>(out.data());
            FakeIncomingPacket in = new FakeIncomingPacket(0).header(out.headerBytes());
            FakeDataTargets.deliver(channel, in, out.dataBytes());
            items += out.items();
            elided += out.elidedItems();
            rxItems += in.items();
            rxElided += in.elidedItems();
            packets++;
            send.resetBody(body);
            return used;
        }

        /** Sends every page of a block in full batches. */
        void sendAll(RamBlock b) throws IOException {
            RamBody body = send.newBody();
            for (long off = 0; off < b.length(); off += b.pageSize()) {
                if (!body.accepts(b)) {
                    send(body);
                }
                body.add(b, off);
            }
            if (!body.isEmpty()) {
                send(body);
            }
        }
    }

    @Test
    void mixedImageArrivesExactlyWithPartialLastPage() throws IOException {
        long len = (4L << 20) + 1000;
        RamBlock src = RamBlock.allocate("pc.ram", len);
        Images.fillMixed(src, 42);
        src.put(len - 1, new byte[]{7}, 0, 1); // the partial page has data
        RamBlock dst = RamBlock.allocate("pc.ram", len);
        Images.fillMixed(dst, 4242); // old contents: zero pages must be cleared where needed
        Pipe p = new Pipe(RamPayload.sending(), List.of(src), List.of(dst));
        p.sendAll(src);
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        assertThat(p.items + p.elided).isEqualTo(src.pageCount());
        assertThat(p.elided).isGreaterThan(src.pageCount() / 4);
        assertThat(p.rxItems).isEqualTo(p.items);
        assertThat(p.rxElided).isEqualTo(p.elided);
        assertThat(p.packets).isEqualTo((int) ((src.pageCount() + 127) / 128));
    }

    @Test
    void zeroPartialLastPageTravelsAsZeroPage() throws IOException {
        RamBlock src = RamBlock.allocate("z", 4096 + 10);
        RamBlock dst = RamBlock.allocate("z", 4096 + 10);
        dst.put(4096 + 9, new byte[]{1}, 0, 1);
        src.put(0, new byte[]{1}, 0, 1);
        Pipe p = new Pipe(RamPayload.sending(), List.of(src), List.of(dst));
        p.sendAll(src);
        assertThat(p.items).isEqualTo(1);
        assertThat(p.elided).isEqualTo(1);
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
    }

    @Test
    void adjacentPagesAreCoalescedAndViewsAreReused() throws IOException {
        RamBlock src = RamBlock.allocate("c", 1 << 20);
        for (long off = 0; off < src.length(); off += 4096) {
            src.putLong(off + 8, off + 1); // every page non-zero
        }
        RamBlock dst = RamBlock.allocate("c", 1 << 20);
        Pipe p = new Pipe(RamPayload.sending(), List.of(src), List.of(dst));
        RamBody body = p.send.newBody();
        for (int i = 0; i < 128; i++) {
            body.add(src, i * 4096L);
        }
        List<ByteBuffer> first = p.send(body);
        assertThat(first).hasSize(1);
        assertThat(first.get(0).remaining()).isEqualTo(128 * 4096);
        assertThat(first.get(0).isReadOnly()).isTrue();
        // every other page: 128 runs of one page
        for (int i = 0; i < 128; i++) {
            body.add(src, 2 * i * 4096L);
        }
        List<ByteBuffer> a = p.send(body);
        assertThat(a).hasSize(128);
        // pairs of pages: 64 runs of two pages
        for (int i = 0; i < 128; i++) {
            body.add(src, (i / 2 * 4 + i % 2) * 4096L);
        }
        List<ByteBuffer> b = p.send(body);
        assertThat(b).hasSize(64).allMatch(x -> x.remaining() == 8192);
        // the same view objects are reused: no view is allocated per packet in steady state
        Set<ByteBuffer> ids = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        ids.addAll(a);
        assertThat(b).allMatch(ids::contains);
        p.sendAll(src);
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
    }

    @Test
    void pagesInDifferentSegmentsAreNotCoalesced() throws IOException {
        long seg = RamBlock.MIN_SEGMENT_SIZE;
        RamBlock src = RamBlock.allocate("s", 2 * seg, 4096, seg);
        RamBlock dst = RamBlock.allocate("s", 2 * seg, 4096, seg);
        src.putLong(seg - 4096, 1);
        src.putLong(seg, 2);
        Pipe p = new Pipe(RamPayload.sending(), List.of(src), List.of(dst));
        RamBody body = p.send.newBody();
        body.add(src, seg - 4096);
        body.add(src, seg);
        assertThat(p.send(body)).hasSize(2);
        assertThat(dst.getLong(seg - 4096)).isEqualTo(1);
        assertThat(dst.getLong(seg)).isEqualTo(2);
    }

    @Test
    void zeroPageDetectionCanBeTurnedOff() throws IOException {
        RamBlock src = RamBlock.allocate("n", 64 * 4096);
        RamBlock dst = RamBlock.allocate("n", 64 * 4096);
        Images.fillMixed(dst, 1);
        Pipe p = new Pipe(RamPayload.builder().zeroPageDetection(false).build(), List.of(src), List.of(dst));
        p.sendAll(src);
        assertThat(p.elided).isZero();
        assertThat(p.items).isEqualTo(64);
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
    }

    @Test
    void severalBlocksWithDifferentPageSizes() throws IOException {
        List<RamBlock> src = List.of(RamBlock.allocate("small", 300 * 512 + 17, 512),
                RamBlock.allocate("normal", 3 << 20, 4096),
                RamBlock.allocate("huge", (6 << 20) + 4096, 2 << 20),
                RamBlock.allocate("mid", 1 << 20, 64 << 10));
        List<RamBlock> dst = new ArrayList<>();
        long seed = 7;
        for (RamBlock b : src) {
            Images.fillMixed(b, seed++);
            dst.add(RamBlock.allocate(b.name(), b.length(), b.pageSize()));
        }
        Pipe p = new Pipe(RamPayload.builder().batchBytes(256 << 10).build(), src, List.copyOf(dst));
        for (RamBlock b : src) {
            p.sendAll(b);
        }
        for (int i = 0; i < src.size(); i++) {
            assertThat(Images.sha256(dst.get(i))).as(src.get(i).name()).isEqualTo(Images.sha256(src.get(i)));
        }
    }

    /** Zero pages arriving for zero destination pages do not touch them: a sparse file stays sparse. */
    @Test
    void zeroPagesDoNotFillASparseDestination(@TempDir Path dir) throws IOException {
        long len = 64L << 20;
        RamBlock src = RamBlock.allocate("img", len);
        src.putLong(len - 4096, 99); // one page of data
        RamBlock dst = RamBlock.map("img", dir.resolve("out.img"), len, 4096, true);
        Pipe p = new Pipe(RamPayload.sending(), List.of(src), List.of(dst));
        p.sendAll(src);
        dst.force();
        assertThat(dst.getLong(len - 4096)).isEqualTo(99);
        assertThat(Images.sha256(dst)).isEqualTo(Images.sha256(src));
        // ext4 allocates about 2 MiB around a page written through a mapping; 64 MiB if zero pages were written
        assertThat(RamBlockTest.allocatedBytes(dir.resolve("out.img"))).isLessThan(8 << 20);
    }

    /**
     * A destination declared zeroed is trusted: a zero page for a page this session has not
     * written is skipped without reading it; once a page was written, a zero page clears it.
     */
    @Test
    void zeroedDestinationSkipsPagesNotWrittenInThisSession() throws IOException {
        RamBlock src = RamBlock.allocate("k", 16 * 4096);
        src.putLong(6 * 4096, 66);
        RamBlock dst = RamBlock.allocate("k", 16 * 4096);
        dst.putLong(5 * 4096, 55); // breaks the promise on purpose, to observe the skip
        Pipe p = new Pipe(RamPayload.sending(), List.of(src), RamDestination.creatingZeroed(i -> dst));
        RamBody body = p.send.newBody();
        body.add(src, 6 * 4096);
        p.send(body);
        assertThat(dst.getLong(6 * 4096)).isEqualTo(66);
        src.putLong(6 * 4096, 0); // page 6 became zero on the source
        body.add(src, 5 * 4096);
        body.add(src, 6 * 4096);
        p.send(body);
        assertThat(p.elided).isEqualTo(2);
        assertThat(dst.getLong(5 * 4096)).as("not written in this session: skipped, not read").isEqualTo(55);
        assertThat(dst.isZeroPage(6 * 4096)).as("written earlier in this session: zeroed").isTrue();
        // the registered (not known-zero) destination checks and clears both
        RamBlock dst2 = RamBlock.allocate("k", 16 * 4096);
        dst2.putLong(5 * 4096, 55);
        Pipe q = new Pipe(RamPayload.sending(), List.of(src), List.of(dst2));
        body.add(src, 5 * 4096);
        q.send(body);
        assertThat(dst2.isZeroPage(5 * 4096)).isTrue();
    }
}
