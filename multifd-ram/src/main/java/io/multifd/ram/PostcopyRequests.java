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
import io.multifd.api.MigrationFailedException;
import io.multifd.api.ReturnHandler;
import io.multifd.api.SendSession;
import io.multifd.ram.internal.RamReturnMessages;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The source's end of the RAM return path: page requests queued for the post-copy stream, the
 * destination's count of applied post-copy pages (which paces the background stream) and the
 * moment it reported the release. Every message is checked before it is used; a malformed one
 * fails the migration with a {@link MalformedPacketException} naming {@code return.ram.*}.
 *
 * <p>Thread-safe: channel reply threads call {@link #onMessage}; the post-copy stream's thread
 * takes requests and waits; the session calls {@link #onSessionFailed} on the thread that failed
 * it; they meet under one lock, and every wait of the stream thread is woken by the message it
 * waits for or by the session's failure, and is bounded by its timeout.
 */
final class PostcopyRequests implements ReturnHandler {

    /** A requested range of pages. */
    record Range(int block, long firstPage, long pages) {
    }

    private final List<RamBlock> blocks;
    private final SendSession session;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Range> queue = new ArrayDeque<>(); // lock
    private volatile long applied; // written under the lock
    private volatile long requests; // written under the lock
    private volatile long releasedAtNanos;
    /** A resumed session: the destination's missing-page bitmap as it arrives (lock). */
    private final long[][] bitmap;
    private long bitmapTotal = -1; // lock: the count the done message announced, -1 before it
    private long bitmapHave; // lock: missing pages named by the bitmap messages so far
    /** The session's first error, as told by {@link #onSessionFailed} (written under the lock). */
    private volatile Throwable sessionFailure;

    PostcopyRequests(List<RamBlock> blocks, SendSession session) {
        this.blocks = blocks;
        this.session = session;
        this.bitmap = new long[blocks.size()][];
    }

    @Override
    public void onMessage(int channel, ByteBuffer m) throws MalformedPacketException {
        if (m.remaining() < RamReturnMessages.MESSAGE_FIXED) {
            throw bad(channel, "return.ram.length", m.remaining(), "shorter than the " + RamReturnMessages.MESSAGE_FIXED + "-byte fixed part");
        }
        int kind = m.get(0) & 0xFF;
        switch (kind) {
            case RamReturnMessages.KIND_REQUEST -> request(channel, m);
            case RamReturnMessages.KIND_RELEASED -> {
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
            case RamReturnMessages.KIND_APPLIED -> {
                if (m.remaining() != RamReturnMessages.MESSAGE_FIXED + 8) {
                    throw bad(channel, "return.ram.length", m.remaining(), "an APPLIED message has 12 bytes");
                }
                long n = m.getLong(RamReturnMessages.MESSAGE_FIXED);
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
            case RamReturnMessages.KIND_BITMAP -> bitmapPart(channel, m);
            case RamReturnMessages.KIND_BITMAP_DONE -> bitmapDone(channel, m);
            default -> throw bad(channel, "return.ram.kind", kind,
                    "not a RAM return message (1 request, 2 released, 3 applied, 4 bitmap, 5 bitmap done)");
        }
    }

    private void request(int channel, ByteBuffer m) throws MalformedPacketException {
        int n = m.getShort(2) & 0xFFFF;
        if (n < 1 || m.remaining() != RamReturnMessages.MESSAGE_FIXED + n * RamReturnMessages.ENTRY) {
            throw bad(channel, "return.ram.entries", n, "a request of " + m.remaining() + " bytes cannot hold " + n + " entries");
        }
        Range[] ranges = new Range[n];
        for (int i = 0; i < n; i++) {
            int at = RamReturnMessages.MESSAGE_FIXED + i * RamReturnMessages.ENTRY;
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

    private void bitmapPart(int channel, ByteBuffer m) throws MalformedPacketException {
        if (m.remaining() < RamReturnMessages.BITMAP_FIXED) {
            throw bad(channel, "return.ram.length", m.remaining(), "a bitmap message has at least "
                    + RamReturnMessages.BITMAP_FIXED + " bytes");
        }
        int block = m.getShort(2) & 0xFFFF;
        long n = Integer.toUnsignedLong(m.getInt(4));
        long first = m.getLong(8);
        if (block >= blocks.size()) {
            throw bad(channel, "return.ram.block", block, "this session has " + blocks.size() + " block(s)");
        }
        long pages = blocks.get(block).pageCount();
        long words = (pages + 63) >>> 6;
        if (m.remaining() != RamReturnMessages.BITMAP_FIXED + 8 * n || n < 1 || first < 0 || first > words || n > words - first) {
            throw bad(channel, "return.ram.bitmap", first + "+" + n, "not within the " + words
                    + " bitmap words of block '" + blocks.get(block).name() + "', or not the message's length");
        }
        long tail = (pages & 63) == 0 ? -1L : (1L << (pages & 63)) - 1;
        lock.lock();
        try {
            long[] b = bitmap[block];
            if (b == null) {
                b = bitmap[block] = new long[(int) words];
            }
            for (int i = 0; i < n; i++) {
                long w = m.getLong(RamReturnMessages.BITMAP_FIXED + 8 * i);
                if (first + i == words - 1 && (w & ~tail) != 0) {
                    throw bad(channel, "return.ram.bitmap", Long.toHexString(w), "names pages past the end of block '"
                            + blocks.get(block).name() + "'");
                }
                bitmapHave += Long.bitCount(w & ~b[(int) first + i]);
                b[(int) first + i] |= w;
            }
            checkBitmapCount(channel);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void bitmapDone(int channel, ByteBuffer m) throws MalformedPacketException {
        if (m.remaining() != RamReturnMessages.MESSAGE_FIXED + 8) {
            throw bad(channel, "return.ram.length", m.remaining(), "a bitmap-done message has 12 bytes");
        }
        long total = m.getLong(RamReturnMessages.MESSAGE_FIXED);
        lock.lock();
        try {
            if (bitmapTotal >= 0 || total < 0) {
                throw bad(channel, "return.ram.bitmap", total, bitmapTotal >= 0 ? "a second bitmap-done message"
                        : "a negative count");
            }
            bitmapTotal = total;
            checkBitmapCount(channel);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The parts may arrive on other channels than the done message, in any order; never more than announced. */
    private void checkBitmapCount(int channel) throws MalformedPacketException {
        if (bitmapTotal >= 0 && bitmapHave > bitmapTotal) {
            throw bad(channel, "return.ram.bitmap", bitmapTotal, "the bitmap messages name " + bitmapHave
                    + " missing pages, more than announced");
        }
    }


    /**
     * Wakes the stream thread's wait at once: the session failed. Called by the session, on the
     * thread that failed it.
     *
     * @param cause the session's first error
     */
    @Override
    public void onSessionFailed(Throwable cause) {
        lock.lock();
        try {
            if (sessionFailure == null) {
                sessionFailure = cause;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Throws the session's failure, if it failed (as told, or as the session says). */
    private void checkSession() throws MigrationFailedException {
        Throwable f = sessionFailure;
        if (f == null) {
            f = session.failure().orElse(null);
        }
        if (f != null) {
            throw new MigrationFailedException("the migration failed while post-copy waited for the destination", f);
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



    /** When the destination reported the release ({@link System#nanoTime()}), or 0 before. */
    long releasedAtNanos() {
        return releasedAtNanos;
    }

    /** Post-copy pages the destination reported applied. Any thread. */
    long applied() {
        return applied;
    }

    /** Request messages received. Any thread. */
    long requests() {
        return requests;
    }

    /**
     * Waits until a request is queued or the destination applied at least {@code appliedAtLeast}
     * pages, at most {@code nanos}. Stream thread.
     *
     * @return true if either happened, false on timeout
     * @throws IOException if the session failed, or the wait was interrupted
     */
    boolean awaitRequestOrApplied(long appliedAtLeast, long nanos) throws IOException {
        return await(() -> !queue.isEmpty() || applied >= appliedAtLeast, nanos, "pacing the post-copy stream");
    }

    /** Waits for the release report at most {@code nanos}; true once reported. Stream thread. */
    boolean awaitReleased(long nanos) throws IOException {
        return await(() -> releasedAtNanos != 0, nanos, "the release report");
    }

    /**
     * Waits for the destination's whole missing-page bitmap (a resumed session). Stream thread.
     *
     * @param nanos the longest wait
     * @return per block the words (null for a block with nothing missing), or null on timeout
     * @throws IOException if the session failed, or the wait was interrupted
     */
    long[][] awaitBitmap(long nanos) throws IOException {
        if (!await(() -> bitmapTotal >= 0 && bitmapHave >= bitmapTotal, nanos, "the destination's bitmap")) {
            return null;
        }
        lock.lock();
        try {
            return bitmap.clone();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits under the lock until {@code done} (read under the lock), at most {@code nanos}. A
     * failed session ends the wait at once: {@link #onSessionFailed} signals the condition, and
     * the failure is checked before every wait, so one that came first is not missed.
     */
    private boolean await(BooleanSupplier done, long nanos, String what) throws IOException {
        long deadline = System.nanoTime() + nanos;
        lock.lock();
        try {
            while (!done.getAsBoolean()) {
                checkSession();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + what);
        } finally {
            lock.unlock();
        }
    }
}
