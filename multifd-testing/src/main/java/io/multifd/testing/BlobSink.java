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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the receiving side of {@link BlobPayload} saw: every arrival, the latest applied version
 * of each blob, and whether any blob's bytes were wrong. Thread-safe.
 */
public final class BlobSink {

    /** One arrival. */
    public record Arrival(int channel, long epoch, int version) {
    }

    private final Map<Long, List<Arrival>> arrivals = new ConcurrentHashMap<>();
    private final Map<Long, Integer> applied = new ConcurrentHashMap<>();
    private final AtomicLong corrupt = new AtomicLong();
    private final AtomicInteger packets = new AtomicInteger();
    private volatile Throwable aborted;
    private volatile int setupLength = -1;
    private volatile FailTrigger failTrigger;

    /** Makes the receiving side throw when it is about to apply a packet the trigger picks. */
    public interface FailTrigger {
        /**
         * @param channel the channel
         * @param ids     the blob ids of the packet
         * @param count   how many
         * @throws IOException to fail the migration
         */
        void check(int channel, long[] ids, int count) throws IOException;
    }

    /** The byte at {@code index} of blob {@code id} at {@code version}. */
    public static byte contentByte(long id, int version, int index) {
        long x = id * 0x9E3779B97F4A7C15L + version * 0xC2B2AE3D27D4EB4FL + index;
        x ^= x >>> 29;
        return (byte) x;
    }

    /**
     * Installs a trigger that can fail packets.
     *
     * @param trigger called on the channel thread before each packet is applied
     */
    public void failTrigger(FailTrigger trigger) {
        this.failTrigger = trigger;
    }

    void beforeApply(int channel, long[] ids, int count) throws IOException {
        FailTrigger h = failTrigger;
        if (h != null) {
            h.check(channel, ids, count);
        }
        packets.incrementAndGet();
    }

    void setupRecordSeen(int length) {
        setupLength = length;
    }

    void aborted(Throwable cause) {
        aborted = cause;
    }

    void record(int channel, long epoch, long id, int version, ByteBuffer buf, int pos, int length) {
        for (int i = 0; i < length; i++) {
            if (buf.get(pos + i) != contentByte(id, version, i)) {
                corrupt.incrementAndGet();
                break;
            }
        }
        arrivals.computeIfAbsent(id, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                .add(new Arrival(channel, epoch, version));
        applied.put(id, version);
    }

    /** Every arrival per blob id. */
    public Map<Long, List<Arrival>> arrivals() {
        return arrivals;
    }

    /** The version last applied per blob id. */
    public Map<Long, Integer> applied() {
        return applied;
    }

    /** Blobs whose bytes did not match their id and version. */
    public long corrupt() {
        return corrupt.get();
    }

    /** Packets received. */
    public int packets() {
        return packets.get();
    }

    /** The cause given to abort, or null. */
    public Throwable abortedWith() {
        return aborted;
    }

    /** Length of the setup record seen, or -1. */
    public int setupLength() {
        return setupLength;
    }
}
