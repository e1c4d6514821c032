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
package io.multifd.core.channel;

import io.multifd.api.spi.TransportChannel;
import io.multifd.core.session.SessionThreads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A transport that breaks the SPI by returning 0 from its blocking calls must not make a channel
 * spin at full CPU while re-arming its own timeout: a short run of empty calls is named as the
 * transport's fault, long before the I/O timeout.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EmptyTransportCallsTest {

    private final Watchdog watchdog = new Watchdog(new SessionThreads(null, "test", null), TimeUnit.MILLISECONDS.toNanos(5));

    @AfterEach
    void stop() {
        watchdog.close();
    }

    @Test
    void aReadThatNeverMovesAByteIsNamed() {
        EmptyChannel empty = new EmptyChannel();
        ChannelIo io = new ChannelIo(empty, watchdog, 3, "receiver", Duration.ofHours(1));
        assertThatThrownBy(() -> io.readFully(ByteBuffer.allocate(16), "packet header"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("channel 3")
                .hasMessageContaining("transport empty-test returned 0")
                .hasMessageContaining("reading packet header");
        assertThat(empty.calls.get()).as("gave up after a short run, not at the hour-long timeout").isLessThan(1000);
        assertThatThrownBy(() -> io.readFully(new ByteBuffer[] {ByteBuffer.allocate(8), ByteBuffer.allocate(8)}, 0, 2,
                16, "packet data"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("reading packet data");
    }

    @Test
    void aWriteThatNeverMovesAByteIsNamed() {
        ChannelIo io = new ChannelIo(new EmptyChannel(), watchdog, 1, "sender", Duration.ofHours(1));
        assertThatThrownBy(() -> io.writeFully(ByteBuffer.allocate(16), "hello"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("channel 1")
                .hasMessageContaining("writing hello");
        assertThatThrownBy(() -> io.writeFully(new ByteBuffer[] {ByteBuffer.allocate(16)}, 0, 1, 16, null, () -> false,
                "packet"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("writing packet");
    }

    @Test
    void aFewEmptyCallsBetweenBytesAreTolerated() throws Exception {
        // every other call moves one byte: never 64 empty calls in a row
        EmptyChannel slow = new EmptyChannel() {
            @Override
            public int read(ByteBuffer dst) {
                if (calls.incrementAndGet() % 2 == 0) {
                    dst.put((byte) 7);
                    return 1;
                }
                return 0;
            }
        };
        ChannelIo io = new ChannelIo(slow, watchdog, 0, "receiver", Duration.ofHours(1));
        ByteBuffer dst = ByteBuffer.allocate(200);
        io.readFully(dst, "data");
        assertThat(dst.hasRemaining()).isFalse();
        assertThat(dst.get(199)).isEqualTo((byte) 7);
    }

    /** Returns 0 from every read and write, as a non-blocking channel behind the SPI would. */
    private static class EmptyChannel implements TransportChannel {
        final AtomicLong calls = new AtomicLong();

        @Override
        public String description() {
            return "empty-test";
        }

        @Override
        public int read(ByteBuffer dst) {
            calls.incrementAndGet();
            return 0;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) {
            calls.incrementAndGet();
            return 0;
        }

        @Override
        public long read(ByteBuffer[] dsts) {
            return read(dsts, 0, dsts.length);
        }

        @Override
        public int write(ByteBuffer src) {
            calls.incrementAndGet();
            return 0;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            calls.incrementAndGet();
            return 0;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
