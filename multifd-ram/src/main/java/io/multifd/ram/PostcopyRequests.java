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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.ReturnHandler;
import io.multifd.ram.internal.PostcopyState;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The source's end of the RAM return path: page requests queued for the post-copy stream, the
 * destination's count of applied post-copy pages (which paces the background stream) and the
 * moment it reported the release. Every message is checked before it is used; a malformed one
 * fails the migration with a {@link MalformedPacketException} naming {@code return.ram.*}.
 *
 * <p>Thread-safe: channel reply threads call {@link #onMessage}; the post-copy stream's thread
 * takes requests and waits; the two meet under one lock.
 */
final class PostcopyRequests implements ReturnHandler {

    /** A requested range of pages. */
    record Range(int block, long firstPage, long pages) {
    }

    private final List<RamBlock> blocks;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Range> queue = new ArrayDeque<>(); // lock
    private long applied; // lock
    private long requests; // lock
    private volatile long releasedAtNanos;

    PostcopyRequests(List<RamBlock> blocks) {
        this.blocks = blocks;
    }

    @Override
    public void onMessage(int channel, ByteBuffer m) throws MalformedPacketException {
        if (m.remaining() < PostcopyState.MESSAGE_FIXED) {
            throw bad(channel, "return.ram.length", m.remaining(), "shorter than the " + PostcopyState.MESSAGE_FIXED + "-byte fixed part");
        }
        int kind = m.get(0) & 0xFF;
        switch (kind) {
            case PostcopyState.KIND_REQUEST -> request(channel, m);
            case PostcopyState.KIND_RELEASED -> {
                lock.lock();
                try {
                    if (releasedAtNanos == 0) {
                        releasedAtNanos = System.nanoTime();
                    }
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
            case PostcopyState.KIND_APPLIED -> {
                if (m.remaining() != PostcopyState.MESSAGE_FIXED + 8) {
                    throw bad(channel, "return.ram.length", m.remaining(), "an APPLIED message has 12 bytes");
                }
                long n = m.getLong(PostcopyState.MESSAGE_FIXED);
                lock.lock();
                try {
                    if (n > applied) {
                        applied = n;
                        changed.signalAll();
                    }
                } finally {
                    lock.unlock();
                }
            }
            default -> throw bad(channel, "return.ram.kind", kind, "not a RAM return message (1 request, 2 released, 3 applied)");
        }
    }

    private void request(int channel, ByteBuffer m) throws MalformedPacketException {
        int n = m.getShort(2) & 0xFFFF;
        if (n < 1 || m.remaining() != PostcopyState.MESSAGE_FIXED + n * PostcopyState.ENTRY) {
            throw bad(channel, "return.ram.entries", n, "a request of " + m.remaining() + " bytes cannot hold " + n + " entries");
        }
        Range[] ranges = new Range[n];
        for (int i = 0; i < n; i++) {
            int at = PostcopyState.MESSAGE_FIXED + i * PostcopyState.ENTRY;
            int block = m.getShort(at) & 0xFFFF;
            long pages = Integer.toUnsignedLong(m.getInt(at + 4));
            long first = m.getLong(at + 8);
            if (block >= blocks.size()) {
                throw bad(channel, "return.ram.block", block, "this session has " + blocks.size() + " block(s)");
            }
            long count = blocks.get(block).pageCount();
            if (pages < 1 || first < 0 || first >= count || pages > count - first) {
                throw bad(channel, "return.ram.pages", first + "+" + pages, "not within the " + count
                        + " pages of block '" + blocks.get(block).name() + "'");
            }
            ranges[i] = new Range(block, first, pages);
        }
        lock.lock();
        try {
            for (Range r : ranges) {
                queue.add(r);
            }
            requests++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static MalformedPacketException bad(int channel, String field, Object value, String reason) {
        return new MalformedPacketException(ProtocolCode.MALFORMED, channel, -1, field, value, reason);
    }

    /** The next requested range, or null. Stream thread. */
    Range poll() {
        lock.lock();
        try {
            return queue.poll();
        } finally {
            lock.unlock();
        }
    }

    /** Post-copy pages the destination reported applied. */
    long applied() {
        lock.lock();
        try {
            return applied;
        } finally {
            lock.unlock();
        }
    }

    /** Request messages received. */
    long requests() {
        lock.lock();
        try {
            return requests;
        } finally {
            lock.unlock();
        }
    }

    /** When the destination reported the release ({@link System#nanoTime()}), or 0 before. */
    long releasedAtNanos() {
        return releasedAtNanos;
    }

    /**
     * Waits until a request is queued or the destination applied at least {@code appliedAtLeast}
     * pages, at most {@code nanos}. Stream thread.
     *
     * @return true if either happened, false on timeout
     * @throws InterruptedIOException if interrupted
     */
    boolean awaitRequestOrApplied(long appliedAtLeast, long nanos) throws InterruptedIOException {
        lock.lock();
        try {
            long left = nanos;
            while (queue.isEmpty() && applied < appliedAtLeast) {
                if (left <= 0) {
                    return false;
                }
                left = changed.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while pacing the post-copy stream");
        } finally {
            lock.unlock();
        }
    }

    /** Waits for the release report at most {@code nanos}; true once reported. Stream thread. */
    boolean awaitReleased(long nanos) throws InterruptedIOException {
        long deadline = System.nanoTime() + nanos;
        lock.lock();
        try {
            while (releasedAtNanos == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the release report");
        } finally {
            lock.unlock();
        }
    }
}
