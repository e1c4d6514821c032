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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fault-injecting transport drops the messages its filter picks, and cuts connections. */
@Timeout(30)
class FaultInjectingTransportTest {

    /** A one-way channel over a pipe: writes go to the pipe, reads come from it. */
    private static final class PipeChannel implements TransportChannel {
        final Pipe pipe = Pipe.open();

        PipeChannel() throws IOException {
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return pipe.source().read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return pipe.source().read(dsts, offset, length);
        }

        @Override
        public long read(ByteBuffer[] dsts) throws IOException {
            return pipe.source().read(dsts);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return pipe.sink().write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return pipe.sink().write(srcs, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs) throws IOException {
            return pipe.sink().write(srcs);
        }

        @Override
        public boolean isOpen() {
            return pipe.sink().isOpen();
        }

        @Override
        public void close() throws IOException {
            pipe.sink().close();
            pipe.source().close();
        }

        @Override
        public String description() {
            return "pipe";
        }
    }

    /** Messages are one length byte and that many bytes; drops those whose first data byte is odd. */
    private static final class OddDropper implements FaultInjectingTransport.MessageFilter {
        @Override
        public int messageLength(ByteBuffer pending) {
            if (!pending.hasRemaining()) {
                return -1;
            }
            int n = 1 + pending.get(pending.position());
            return pending.remaining() >= n ? n : -1;
        }

        @Override
        public boolean drop(ByteBuffer pending) {
            return (pending.get(pending.position() + 1) & 1) != 0;
        }
    }

    private final List<PipeChannel> made = new ArrayList<>();
    private final TransportConnector pipes = new TransportConnector() {
        @Override
        public TransportChannel connect(int channelId, Duration timeout) throws IOException {
            PipeChannel c = new PipeChannel();
            made.add(c);
            return c;
        }

        @Override
        public String description() {
            return "pipes";
        }
    };

    @Test
    void dropsWholeMessagesEvenWhenTheyArriveInPieces() throws IOException {
        FaultInjectingTransport.Connector connector = new FaultInjectingTransport.Connector(pipes, id -> new OddDropper());
        TransportChannel c = connector.connect(0, Duration.ofSeconds(1));
        assertThat(c.description()).isEqualTo("faulty pipe");
        byte[] stream = {2, 4, 9, 2, 5, 9, 1, 6, 3, 7, 1, 2};   // messages [4 9] [5 9] [6] [7 1 2]
        c.write(ByteBuffer.wrap(stream, 0, 4));                  // a message and a half
        c.write(new ByteBuffer[] {ByteBuffer.wrap(stream, 4, 3), ByteBuffer.wrap(stream, 7, 5)}, 0, 2);
        ByteBuffer got = ByteBuffer.allocate(64);
        made.get(0).pipe.source().read(got);
        assertThat(java.util.Arrays.copyOf(got.array(), got.position())).containsExactly(2, 4, 9, 1, 6);
    }

    @Test
    void cutClosesTheConnectionUnderneathItsUser() throws IOException {
        FaultInjectingTransport.Connector connector = new FaultInjectingTransport.Connector(pipes, id -> null);
        TransportChannel c = connector.connect(3, Duration.ofSeconds(1));
        c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        connector.cut(3);
        assertThat(c.isOpen()).isFalse();
        assertThatThrownBy(() -> c.write(ByteBuffer.wrap(new byte[] {4}))).isInstanceOf(IOException.class);
        connector.cut(7);   // never connected: nothing happens
    }
}
