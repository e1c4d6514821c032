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

import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test hook on the receiver: a RAM payload (id 1, "ram") that delegates everything to a real
 * {@link RamPayload} and, for every applied packet, records which channel carried each page
 * (read from the documented payload header), counting pages that arrived again on another channel
 * than their previous copy.
 */
final class RecordingRamPayload implements PayloadPlugin<RamBody> {

    final RamPayload delegate;
    /** page offset (single block) -> channel of the last copy applied. */
    final ConcurrentHashMap<Long, Integer> lastChannel = new ConcurrentHashMap<>();
    final AtomicLong resentOnOtherChannel = new AtomicLong();
    final AtomicLong resent = new AtomicLong();
    final AtomicLong maxEpoch = new AtomicLong(-1);

    RecordingRamPayload(RamPayload delegate) {
        this.delegate = delegate;
    }

    @Override
    public int id() {
        return delegate.id();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public RamBody newBody() {
        return delegate.newBody();
    }

    @Override
    public void resetBody(RamBody body) {
        delegate.resetBody(body);
    }

    @Override
    public PayloadEncoder<RamBody> newEncoder(SendChannelContext context) {
        return delegate.newEncoder(context);
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException {
        PayloadReceiver r = delegate.openReceiver(context, setupRecord);
        return new PayloadReceiver() {
            @Override
            public PayloadChannelReceiver openChannel(int channelId) throws IOException {
                PayloadChannelReceiver c = r.openChannel(channelId);
                return new PayloadChannelReceiver() {
                    @Override
                    public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
                        c.begin(packet, targets);
                    }

                    @Override
                    public void end(IncomingPacket packet) throws IOException {
                        c.end(packet);
                        ByteBuffer h = packet.header();
                        int n = h.getShort(2) & 0xFFFF;
                        int pages = h.getInt(4) + h.getInt(8);
                        maxEpoch.accumulateAndGet(packet.epoch(), Math::max);
                        for (int i = 0; i < pages; i++) {
                            long off = h.getLong(12 + n + 8 * i);
                            Integer prev = lastChannel.put(off, packet.channelId());
                            if (prev != null) {
                                resent.incrementAndGet();
                                if (prev != packet.channelId()) {
                                    resentOnOtherChannel.incrementAndGet();
                                }
                            }
                        }
                    }

                    @Override
                    public void close() {
                        c.close();
                    }
                };
            }

            @Override
            public void finish(Duration timeout) throws IOException {
                r.finish(timeout);
            }

            @Override
            public void abort(Throwable cause) {
                r.abort(cause);
            }

            @Override
            public void close() {
                r.close();
            }
        };
    }
}
