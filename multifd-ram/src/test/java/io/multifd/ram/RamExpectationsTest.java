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
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SetupRefusedException;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A receiver that takes only what it expects: a layout other than the expected one is refused
 * before the destination makes a block or a page moves, and a session that leaves pages unsent
 * fails on both sides, naming the block and the first missing page.
 */
@Timeout(60)
class RamExpectationsTest {

    private static final int PAGE = 4096;

    private static List<RamBlock> source() {
        RamBlock a = RamBlock.allocate("pc.ram", 64L * PAGE, PAGE);
        RamBlock b = RamBlock.allocate("vga.vram", 16L * PAGE + 100, PAGE);
        Images.fillMixed(a, 11);
        Images.fillMixed(b, 12);
        return List.of(a, b);
    }

    /** The receiver's side, its destination counting the blocks it was asked to make. */
    private record Rx(RamPayload.Builder builder, List<RamBlock> made, AtomicInteger asked) {
        static Rx create() {
            List<RamBlock> made = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger asked = new AtomicInteger();
            RamPayload.Builder b = RamPayload.builder().destination(RamDestination.creatingZeroed(info -> {
                asked.incrementAndGet();
                RamBlock block = RamBlock.allocate(info.name(), info.length(), info.pageSize());
                made.add(block);
                return block;
            }));
            return new Rx(b, made, asked);
        }
    }

    /** Sender and receiver outcomes; exactly one of result/failure per side. */
    private record Outcome(Exception senderFailure, Exception receiverFailure) {
    }

    private static Outcome run(List<RamBlock> src, RamPayload receiving, Migrations.Rounds rounds) throws Exception {
        Migrations.Transport t = Migrations.transport(Migrations.Kind.MEMORY, 1);
        MultiFdConfig config = Migrations.config(2);
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener())
                .registry(PluginRegistry.builder().build()).require(receiving).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, t.connector())
                     .registry(PluginRegistry.builder().add(RamPayload.sending()).build()).build()) {
            RamSaver saver = RamSaver.open(sender, src);
            Exception sent = null;
            try {
                sender.connect();
                rounds.run(saver);
                sender.finish();
            } catch (Exception e) {
                sent = e;
            }
            Exception received = null;
            try {
                receiver.await(Duration.ofSeconds(30));
            } catch (Exception e) {
                received = e;
            }
            return new Outcome(sent, received);
        } finally {
            t.listener().close();
        }
    }

    private static void assertRefused(Outcome o, String... reason) {
        assertThat(o.senderFailure()).as("the sender is told").isInstanceOf(MigrationFailedException.class);
        Throwable s = o.senderFailure().getCause();
        assertThat(s).isInstanceOf(MultiFdException.class);
        assertThat(((MultiFdException) s).code()).isEqualTo(ProtocolCode.SETUP_REFUSED);
        assertThat(s.getMessage()).contains(reason);
        assertThat(o.receiverFailure()).isInstanceOf(MigrationFailedException.class)
                .cause().isInstanceOf(SetupRefusedException.class).hasMessageContainingAll(reason);
    }

    @Test
    void anotherTotalSizeIsRefusedBeforeABlockIsMade() throws Exception {
        List<RamBlock> src = source();
        long total = src.get(0).length() + src.get(1).length();
        Rx rx = Rx.create();
        Outcome o = run(src, rx.builder().expectedTotalBytes(total + PAGE).build(), RamSaver::saveAll);
        assertRefused(o, "'ram.setup.totalBytes' = " + total, "expects blocks of " + (total + PAGE) + " bytes");
        assertThat(o.senderFailure().getCause()).isInstanceOf(HandshakeRefusedException.class);
        assertThat(rx.asked()).hasValue(0);
    }

    @Test
    void anotherLayoutIsRefusedNamingTheDifference() throws Exception {
        List<RamBlock> src = source();
        Rx rx = Rx.create();
        // same total, but the first block has another page size
        RamPayload p = rx.builder().expectedBlocks(List.of(new RamBlockInfo("pc.ram", 64L * PAGE, 2 * PAGE),
                RamBlockInfo.of(src.get(1)))).build();
        Outcome o = run(src, p, RamSaver::saveAll);
        assertRefused(o, "'ram.setup.name' = pc.ram", "block 0 is announced as", "pages of " + PAGE,
                "this receiver expects", "pages of " + 2 * PAGE);
        assertThat(rx.asked()).hasValue(0);
    }

    @Test
    void aMissingBlockIsRefused() throws Exception {
        List<RamBlock> src = source();
        Rx rx = Rx.create();
        RamPayload p = rx.builder().expectedBlocks(List.of(RamBlockInfo.of(src.get(0)), RamBlockInfo.of(src.get(1)),
                new RamBlockInfo("extra", PAGE, PAGE))).build();
        Outcome o = run(src, p, RamSaver::saveAll);
        assertRefused(o, "'ram.setup.blockCount' = 2", "expected block", "extra");
        assertThat(rx.asked()).hasValue(0);
    }

    @Test
    void theExpectedLayoutWithEveryPageCompletes() throws Exception {
        List<RamBlock> src = source();
        Rx rx = Rx.create();
        RamPayload p = rx.builder().expectedBlocks(List.of(RamBlockInfo.of(src.get(0)), RamBlockInfo.of(src.get(1))))
                .expectedTotalBytes(src.get(0).length() + src.get(1).length()).build();
        Outcome o = run(src, p, RamSaver::saveAll);
        assertThat(o.senderFailure()).isNull();
        assertThat(o.receiverFailure()).isNull();
        assertThat(rx.made()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(Images.sha256(rx.made().get(i))).isEqualTo(Images.sha256(src.get(i)));
        }
    }

    @Test
    void aSessionThatLeavesPagesUnsentFailsOnBothSidesNamingTheFirst() throws Exception {
        List<RamBlock> src = source();
        RamBlock a = src.get(0);
        Rx rx = Rx.create();
        Outcome o = run(src, rx.builder().build(), saver -> {
            // every page of every block but pages 5, 6 and 40 of pc.ram
            for (RamBlock b : src) {
                for (long off = 0; off < b.length(); off += PAGE) {
                    long page = off / PAGE;
                    if (b != a || (page != 5 && page != 6 && page != 40)) {
                        saver.queuePage(b, off);
                    }
                }
            }
            saver.sync();
        });
        assertRefused(o, "block 'pc.ram': 3 of 64 pages never arrived", "first: page 5 at offset 0x5000");
    }

    @Test
    void zeroPagesCountAsArrived() throws Exception {
        RamBlock a = RamBlock.allocate("zeros", 100L * PAGE, PAGE); // all zero: every page goes as a zero page
        Rx rx = Rx.create();
        Outcome o = run(List.of(a), rx.builder().build(), RamSaver::saveAll);
        assertThat(o.senderFailure()).isNull();
        assertThat(o.receiverFailure()).isNull();
    }

    @Test
    void leavingPagesUnsentCanBeAllowed() throws Exception {
        List<RamBlock> src = source();
        Rx rx = Rx.create();
        Outcome o = run(src, rx.builder().requireEveryPage(false).build(), saver -> {
            saver.queuePage(src.get(0), 0);
            saver.sync();
        });
        assertThat(o.senderFailure()).isNull();
        assertThat(o.receiverFailure()).isNull();
    }
}
