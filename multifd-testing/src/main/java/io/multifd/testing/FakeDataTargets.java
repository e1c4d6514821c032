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
package io.multifd.testing;

import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.PayloadChannelReceiver;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@link DataTargets} as the core passes them to
 * {@link PayloadChannelReceiver#begin(io.multifd.api.spi.IncomingPacket, DataTargets)}: records
 * the destination buffers a receiver names, and fills them the way the core does.
 * {@link #deliver(PayloadChannelReceiver, FakeIncomingPacket, byte[])} plays one whole packet.
 *
 * <h2>Ownership and threads</h2>
 * Owned by the test, reusable with {@link #clear()}. Not thread-safe: one thread at a time (the
 * thread playing the channel). The target buffers stay owned by the receiver; this fake only
 * fills them, from position to limit, advancing the position, as the core does.
 */
public class FakeDataTargets implements DataTargets {

    private final List<ByteBuffer> targets = new ArrayList<>();

    /** Makes an empty list of targets. */
    public FakeDataTargets() {
    }

    @Override
    public void add(ByteBuffer target) {
        targets.add(target);
    }

    /**
     * The targets named so far, in order: the receiver's buffers, not copies.
     *
     * @return an unmodifiable view
     */
    public List<ByteBuffer> targets() {
        return Collections.unmodifiableList(targets);
    }

    /** The bytes the targets still have room for: the sum of their remaining bytes. */
    public long remaining() {
        long t = 0;
        for (ByteBuffer b : targets) {
            t += b.remaining();
        }
        return t;
    }

    /** Forgets every target. */
    public void clear() {
        targets.clear();
    }

    /**
     * Fills the targets with {@code data}, in order, each from position to limit, as the core does.
     *
     * @param data exactly {@link #remaining()} bytes
     * @throws AssertionError if the targets do not have room for exactly that many bytes
     */
    public void fill(byte[] data) {
        if (remaining() != data.length) {
            throw new AssertionError("the targets named take " + remaining() + " bytes, the packet has "
                    + data.length);
        }
        int p = 0;
        for (ByteBuffer b : targets) {
            int n = b.remaining();
            b.put(data, p, n);
            p += n;
        }
    }

    /**
     * Plays one packet as the core does: sets the packet's raw length to {@code data.length}, calls
     * {@code begin}, fills the named targets with {@code data} and calls {@code end}.
     *
     * @param receiver the channel receiver under test; called on this thread
     * @param packet   the packet, with its header set; its raw length is set here
     * @param data     the packet's data after decoding
     * @return the targets the receiver named (already filled)
     * @throws IOException    whatever the receiver throws (a refusal from {@code begin} leaves the
     *                        targets unfilled and {@code end} uncalled)
     * @throws AssertionError if the targets do not take exactly {@code data.length} bytes
     */
    public static FakeDataTargets deliver(PayloadChannelReceiver receiver, FakeIncomingPacket packet, byte[] data)
            throws IOException {
        FakeDataTargets t = new FakeDataTargets();
        packet.rawLength(data.length);
        receiver.begin(packet, t);
        t.fill(data);
        receiver.end(packet);
        return t;
    }
}
