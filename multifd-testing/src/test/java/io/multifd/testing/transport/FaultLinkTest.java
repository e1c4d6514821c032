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
package io.multifd.testing.transport;

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The slowing and corrupting faults of {@link FaultLink}: short calls, a trickle, a flipped bit on reads. */
@Timeout(30)
class FaultLinkTest {

    /** Records what is written; reads serve fixed bytes. */
    private static final class Memory implements TransportChannel {
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final ByteBuffer toRead;
        volatile boolean open = true;

        Memory(byte[] toRead) {
            this.toRead = ByteBuffer.wrap(toRead);
        }

        @Override
        public int read(ByteBuffer dst) {
            if (!toRead.hasRemaining()) {
                return -1;
            }
            int n = Math.min(dst.remaining(), toRead.remaining());
            dst.put(toRead.slice(toRead.position(), n));
            toRead.position(toRead.position() + n);
            return n;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length && toRead.hasRemaining(); i++) {
                n += read(dsts[i]);
            }
            return n == 0 && !toRead.hasRemaining() ? -1 : n;
        }

        @Override
        public long read(ByteBuffer[] dsts) {
            return read(dsts, 0, dsts.length);
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            byte[] b = new byte[n];
            src.get(b);
            written.writeBytes(b);
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                n += write(srcs[i]);
            }
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }

        @Override
        public String description() {
            return "memory";
        }
    }

    private static TransportChannel sender(FaultLink link, Memory inner) throws IOException {
        return link.connector(new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) {
                return inner;
            }

            @Override
            public String description() {
                return "memory";
            }
        }).connect(0, Duration.ofSeconds(1));
    }

    private static TransportChannel receiver(FaultLink link, Memory inner) throws IOException {
        return link.listener(new TransportListener() {
            @Override
            public TransportChannel accept(Duration timeout) {
                return inner;
            }

            @Override
            public void close() {
            }

            @Override
            public String description() {
                return "memory";
            }
        }).accept(Duration.ofSeconds(1));
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 3);
        }
        return b;
    }

    @Test
    void shortWritesMoveAtMostHalfFromTheOffsetAndLoseNothing() throws IOException {
        FaultLink link = new FaultLink(new FaultLink.Fault(FaultLink.Side.SENDER, 0, 10, FaultLink.Kind.SHORT));
        Memory inner = new Memory(new byte[0]);
        TransportChannel c = sender(link, inner);
        byte[] data = pattern(100);
        assertThat(c.write(ByteBuffer.wrap(data, 0, 10))).isEqualTo(10);
        assertThat(link.fired()).isFalse();
        ByteBuffer rest = ByteBuffer.wrap(data, 10, 90);
        assertThat(c.write(rest)).isEqualTo(45);
        int calls = 1;
        while (rest.hasRemaining()) {
            assertThat(c.write(new ByteBuffer[] {ByteBuffer.allocate(0), rest}, 0, 2)).isPositive();
            calls++;
        }
        assertThat(calls).isGreaterThan(5);
        assertThat(link.fired()).isTrue();
        assertThat(inner.written.toByteArray()).isEqualTo(data);
    }

    @Test
    void shortReadsReturnAtMostHalf() throws IOException {
        FaultLink link = new FaultLink(new FaultLink.Fault(FaultLink.Side.RECEIVER, 0, 0, FaultLink.Kind.SHORT));
        byte[] data = pattern(64);
        TransportChannel c = receiver(link, new Memory(data));
        ByteBuffer dst = ByteBuffer.allocate(64);
        assertThat(c.read(dst)).isEqualTo(32);
        while (dst.hasRemaining()) {
            assertThat(c.read(new ByteBuffer[] {dst}, 0, 1)).isPositive();
        }
        assertThat(dst.array()).isEqualTo(data);
    }

    @Test
    void aTrickleMovesOneByteAPerCallThenEverything() throws IOException {
        FaultLink link = new FaultLink(new FaultLink.Fault(FaultLink.Side.SENDER, 0, 0, FaultLink.Kind.TRICKLE),
                Duration.ZERO);
        Memory inner = new Memory(new byte[0]);
        TransportChannel c = sender(link, inner);
        byte[] data = pattern(FaultLink.TRICKLE_BYTES + 1000);
        ByteBuffer src = ByteBuffer.wrap(data);
        for (int i = 0; i < FaultLink.TRICKLE_BYTES; i++) {
            assertThat(c.write(src)).as("call %d", i).isEqualTo(1);
        }
        assertThat(c.write(src)).isEqualTo(1000);
        assertThat(inner.written.toByteArray()).isEqualTo(data);
    }

    @Test
    void closingEndsATricklesPause() throws Exception {
        FaultLink link = new FaultLink(new FaultLink.Fault(FaultLink.Side.RECEIVER, 0, 0, FaultLink.Kind.TRICKLE),
                Duration.ofHours(1));
        TransportChannel c = receiver(link, new Memory(pattern(FaultLink.TRICKLE_BYTES)));
        CompletableFuture<Void> reading = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                ByteBuffer dst = ByteBuffer.allocate(FaultLink.TRICKLE_BYTES);
                while (dst.hasRemaining()) {
                    c.read(dst); // pauses after a quarter of the trickle
                }
                reading.complete(null);
            } catch (Throwable t) {
                reading.completeExceptionally(t);
            }
        }, "trickle-reader");
        reader.start();
        c.close();
        assertThatThrownBy(() -> reading.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(AsynchronousCloseException.class);
        reader.join(10_000);
        assertThat(reader.isAlive()).isFalse();
    }

    @Test
    void aCorruptReadFlipsOneBitOfTheFirstByteAtTheOffset() throws IOException {
        FaultLink link = new FaultLink(new FaultLink.Fault(FaultLink.Side.RECEIVER, 0, 5, FaultLink.Kind.CORRUPT));
        byte[] data = pattern(20);
        TransportChannel c = receiver(link, new Memory(data));
        ByteBuffer dst = ByteBuffer.allocate(20);
        assertThat(c.read(dst.limit(5))).isEqualTo(5);
        assertThat(link.fired()).isFalse();
        dst.limit(20);
        while (dst.hasRemaining()) {
            c.read(dst);
        }
        byte[] want = data.clone();
        want[5] ^= 0x10;
        assertThat(dst.array()).isEqualTo(want);
        assertThat(link.fired()).isTrue();
    }
}
