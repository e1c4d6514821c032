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
package io.multifd.core.testkit;

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.testing.transport.ForwardingTransportChannel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * A connector that tees what the sender writes on each channel, so a test can replay a real
 * stream. Test code only; thread-safe.
 */
public final class ChannelRecorder implements TransportConnector {

    private final TransportConnector inner;
    private final Map<Integer, ByteArrayOutputStream> streams = new TreeMap<>();

    /** Records what goes through {@code inner}. */
    public ChannelRecorder(TransportConnector inner) {
        this.inner = inner;
    }

    @Override
    public TransportChannel connect(int channelId, Duration timeout) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        synchronized (streams) {
            streams.put(channelId, bytes);
        }
        return new ForwardingTransportChannel(inner.connect(channelId, timeout)) {
            @Override
            public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
                int[] before = new int[length];
                for (int i = 0; i < length; i++) {
                    before[i] = srcs[offset + i].position();
                }
                long n = delegate.write(srcs, offset, length);
                synchronized (bytes) {
                    for (int i = 0; i < length; i++) {
                        ByteBuffer b = srcs[offset + i];
                        byte[] a = new byte[b.position() - before[i]];
                        b.get(before[i], a, 0, a.length);
                        bytes.write(a, 0, a.length);
                    }
                }
                return n;
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return (int) write(new ByteBuffer[] {src}, 0, 1);
            }
        };
    }

    /** Each channel's bytes so far, by channel id. */
    public byte[][] streams() {
        synchronized (streams) {
            byte[][] out = new byte[streams.size()][];
            int i = 0;
            for (ByteArrayOutputStream b : streams.values()) {
                synchronized (b) {
                    out[i++] = b.toByteArray();
                }
            }
            return out;
        }
    }

    @Override
    public String description() {
        return "recording " + inner.description();
    }
}
