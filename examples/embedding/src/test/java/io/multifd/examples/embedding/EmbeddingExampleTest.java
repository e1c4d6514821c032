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
package io.multifd.examples.embedding;

import io.multifd.api.MigrationStats;
import io.multifd.core.transport.TcpTransport;
import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.RamBlock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The embedding examples the README quotes compile, run, and move the bytes exactly. */
@Timeout(60)
class EmbeddingExampleTest {

    @Test
    void senderAndReceiverMoveRamAndDeviceStateExactly() throws Exception {
        EmbeddedMigration.Outcome o = EmbeddedMigration.run(16L << 20, 7);
        assertThat(o.memoryMatches()).isTrue();
        assertThat(o.deviceMatches()).isTrue();
        assertThat(o.sent().channels()).isEqualTo(4);
        assertThat(o.sent().codec()).isEqualTo("zstd");
        assertThat(o.received().stats().payload("device-state")).isPresent();
    }

    @Test
    void theAsyncFormsMoveTheMemoryExactly() throws Exception {
        RamBlock memory = RamBlock.allocate("pc.ram", 4L << 20);
        SplittableRandom rnd = new SplittableRandom(3);
        for (long off = 0; off < memory.length(); off += Long.BYTES * 17) {
            memory.putLong(off, rnd.nextLong());
        }
        TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        CompletableFuture<ReceiverExample.Received> rx = ReceiverExample.receiveAsync(listener);
        MigrationStats sent = SenderExample.sendAsync(listener.localAddress(), memory).get(30, TimeUnit.SECONDS);
        ReceiverExample.Received received = rx.get(30, TimeUnit.SECONDS);
        assertThat(sent.sessionId()).isEqualTo(received.stats().sessionId());
        assertThat(received.stats().rawBytes()).isEqualTo(sent.rawBytes());
        assertSameBytes(memory, received.memory().get(0), 3);
    }

    @Test
    void sendWhileRunningResendsWhatTheWritersChanged() throws Exception {
        long seed = 11;
        RamBlock memory = RamBlock.allocate("pc.ram", 8L << 20);
        DirtyBitmap dirty = new DirtyBitmap(memory);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong writes = new AtomicLong();
        Thread writer = new Thread(() -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            while (!stop.get()) {
                long page = rnd.nextLong(memory.pageCount());
                memory.putLong(page * memory.pageSize(), rnd.nextLong() | 1);
                dirty.markPage(page);       // after the write
                writes.incrementAndGet();
                Thread.onSpinWait();
            }
        }, "test-writer");
        writer.start();
        TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        CompletableFuture<ReceiverExample.Received> rx = ReceiverExample.receiveAsync(listener);
        MigrationStats sent = SenderExample.sendWhileRunning(listener.localAddress(), memory, dirty, () -> {
            stop.set(true);
            try {
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ReceiverExample.Received received = rx.get();
        assertThat(writes.get()).as("seed %d: the writer wrote", seed).isPositive();
        assertThat(sent.payload("ram").orElseThrow().items()).as("pages resent").isGreaterThan(memory.pageCount());
        assertSameBytes(memory, received.memory().get(0), seed);
    }

    private static void assertSameBytes(RamBlock memory, RamBlock got, long seed) {
        assertThat(got.length()).isEqualTo(memory.length());
        byte[] a = new byte[1 << 16];
        byte[] b = new byte[1 << 16];
        for (long off = 0; off < memory.length(); off += a.length) {
            memory.get(off, a, 0, a.length);
            got.get(off, b, 0, b.length);
            assertThat(b).as("seed %d, offset %d", seed, off).isEqualTo(a);
        }
    }
}
