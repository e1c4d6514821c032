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
package io.multifd.devicestate.internal;

import java.util.TreeMap;

/**
 * One device's reorder window: buffers begin in any order (by index, on any channel) and are
 * released to the loader strictly in index order. Pure bookkeeping: no threads, no locks, no I/O.
 * Not thread-safe: the owner ({@link Device}) calls it under its lock.
 *
 * <h2>Bookkeeping</h2>
 * Every index at or above {@link #nextIndex()} whose buffer has begun (its header was accepted)
 * has an {@link Entry}. {@code contiguous} is the smallest index not yet begun: all indexes below
 * it have begun. A buffer whose index is below {@code contiguous} when it begins (or becomes so
 * later) is <em>in order</em>: the loader can reach it without any further channel data. Other
 * buffers are <em>out of order</em>.
 * <ul>
 *   <li>Out-of-order buffers are queued; their bytes, plus {@link #ENTRY_OVERHEAD} each, count
 *       against the out-of-order cap, and a buffer that would exceed it is refused. When the gap
 *       before them fills, their bytes move to the in-order count.</li>
 *   <li>A buffer that begins in order is <em>pending</em>: its bytes are not counted until the
 *       owner {@link #admit admits} it, which it does once {@link #backlogAllows} says the
 *       in-order backlog has room (see {@link Device} for the wait).</li>
 * </ul>
 *
 * <h2>Refusals</h2>
 * {@link #begin} refuses, naming the field: an index beyond the buffer limit, already begun or
 * released, or after the last buffer ({@code device-state.index}); a second last buffer
 * ({@code device-state.flags}); a last buffer below an index already begun
 * ({@code device-state.index}); a buffer over the out-of-order cap
 * ({@code device-state.queued-bytes}). {@link #checkComplete()} refuses a device whose last buffer
 * ({@code device-state.last}) or some buffer before it ({@code device-state.index}) never began.
 */
final class ReorderWindow {

    /** Bookkeeping bytes charged per queued out-of-order buffer, so that tiny buffers are bounded too. */
    static final int ENTRY_OVERHEAD = 128;

    /** One begun buffer; its fields other than {@code data} belong to the window. */
    static final class Entry {
        final int index;
        final int length;
        final boolean last;
        /**
         * The buffer's bytes: written by one channel thread between {@link #begin} and
         * {@link #received}, read by the load thread after {@link #next()} returned the entry.
         */
        byte[] data;
        boolean inOrder;
        boolean pending;
        boolean received;

        Entry(int index, int length, boolean last) {
            this.index = index;
            this.length = length;
            this.last = last;
        }

        @Override
        public String toString() {
            return "buffer " + index + (last ? " (last)" : "") + ", " + length + " bytes";
        }
    }

    /** Why a buffer or the end of the stream was refused: the field, its value and the reason. */
    static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;

        private final String field;
        private final transient Object value;

        Refusal(String field, Object value, String reason) {
            super(reason, null, false, false);
            this.field = field;
            this.value = value;
        }

        /** The refused field, e.g. {@code device-state.index}. */
        String field() {
            return field;
        }

        /** The refused value. */
        Object value() {
            return value;
        }
    }

    private final String device;
    private final int maxBuffers;
    private final long maxOutOfOrderBytes;
    private final long maxBacklogBytes;

    private final TreeMap<Integer, Entry> entries = new TreeMap<>();
    private int next;
    private int contiguous;
    private int maxIndexSeen = -1;
    private int lastIndex = -1;
    private long outOfOrderBytes;
    private long inOrderBytes;
    private long receivedBuffers;
    private long receivedBytes;
    private long releasedBytes;

    /**
     * @param device             the device's name, for refusal texts
     * @param maxBuffers         indexes must be below this
     * @param maxOutOfOrderBytes cap on queued out-of-order bytes (with {@link #ENTRY_OVERHEAD} each)
     * @param maxBacklogBytes    in-order bytes beyond which {@link #backlogAllows} says no
     */
    ReorderWindow(String device, int maxBuffers, long maxOutOfOrderBytes, long maxBacklogBytes) {
        this.device = device;
        this.maxBuffers = maxBuffers;
        this.maxOutOfOrderBytes = maxOutOfOrderBytes;
        this.maxBacklogBytes = maxBacklogBytes;
    }

    /**
     * A buffer's header was read: checks it against what the window holds and has released, and
     * enters it. An in-order buffer comes back {@linkplain Entry#pending pending}; an out-of-order
     * one is queued and counted. The entry's data array is the caller's to make.
     *
     * @param index  the buffer index
     * @param last   whether the header flags it as the device's last buffer
     * @param length its data length
     * @return the new entry
     * @throws Refusal naming {@code device-state.index}, {@code device-state.flags} or
     *                 {@code device-state.queued-bytes}; the window is unchanged
     */
    Entry begin(long index, boolean last, int length) throws Refusal {
        if (index < 0 || index >= maxBuffers) {
            throw new Refusal("device-state.index", index, "beyond the limit of " + maxBuffers
                    + " buffers per device");
        }
        int i = (int) index;
        if (i < next || entries.containsKey(i)) {
            throw new Refusal("device-state.index", i, "duplicate buffer of device " + device);
        }
        if (lastIndex >= 0 && i > lastIndex) {
            throw new Refusal("device-state.index", i, "buffer after the last one (index " + lastIndex
                    + ") of device " + device);
        }
        if (last) {
            if (lastIndex >= 0) {
                throw new Refusal("device-state.flags", "LAST", "device " + device
                        + " already had its last buffer at index " + lastIndex + ", this one is index " + i);
            }
            if (maxIndexSeen > i) {
                throw new Refusal("device-state.index", i, "marked last, but buffer " + maxIndexSeen
                        + " of device " + device + " already arrived");
            }
        }
        Entry e = new Entry(i, length, last);
        if (i == contiguous) {
            e.inOrder = true;
            e.pending = true;
            entries.put(i, e);
            advanceContiguous();
        } else {
            long charge = (long) length + ENTRY_OVERHEAD;
            if (outOfOrderBytes + charge > maxOutOfOrderBytes) {
                throw new Refusal("device-state.queued-bytes", outOfOrderBytes + charge,
                        "device " + device + ": buffers waiting for an earlier buffer exceed the cap of "
                                + maxOutOfOrderBytes + " bytes (buffer " + i + " arrived, buffer "
                                + contiguous + " is still missing)");
            }
            outOfOrderBytes += charge;
            entries.put(i, e);
        }
        if (last) {
            lastIndex = i;
        }
        maxIndexSeen = Math.max(maxIndexSeen, i);
        return e;
    }

    /** Moves {@code contiguous} past every begun index, promoting queued buffers to in order. */
    private void advanceContiguous() {
        while (true) {
            contiguous++;
            Entry n = entries.get(contiguous);
            if (n == null) {
                return;
            }
            if (!n.inOrder) {
                n.inOrder = true;
                outOfOrderBytes -= (long) n.length + ENTRY_OVERHEAD;
                inOrderBytes += n.length;
            }
        }
    }

    /**
     * Tells whether a pending buffer may be admitted now: it is the next to release, or nothing
     * in order is counted, or its bytes fit under the backlog cap.
     *
     * @param e a pending entry
     * @return true if {@link #admit} would keep the backlog within its rule
     */
    boolean backlogAllows(Entry e) {
        return e.index == next || inOrderBytes == 0 || inOrderBytes + e.length <= maxBacklogBytes;
    }

    /**
     * Counts a pending buffer's bytes as in-order backlog.
     *
     * @param e a pending entry
     * @throws IllegalStateException if it is not pending
     */
    void admit(Entry e) {
        if (!e.pending) {
            throw new IllegalStateException("not pending: " + e);
        }
        e.pending = false;
        inOrderBytes += e.length;
    }

    /**
     * A buffer's data has been filled.
     *
     * @param e an entry of this window, not pending
     * @return true if it is the next to release (the loader may be waiting for it)
     */
    boolean received(Entry e) {
        if (e.pending || e.received) {
            throw new IllegalStateException((e.pending ? "pending: " : "received twice: ") + e);
        }
        e.received = true;
        receivedBuffers++;
        receivedBytes += e.length;
        return e.index == next;
    }

    /**
     * The next buffer to release, if its data has arrived.
     *
     * @return the entry with index {@link #nextIndex()} if it was received, else {@code null}
     */
    Entry next() {
        Entry e = entries.get(next);
        return e != null && e.received ? e : null;
    }

    /**
     * The loader is done with the buffer {@link #next()} returned: it leaves the window, its bytes
     * are no longer counted, and the next index is up.
     *
     * @param e the entry {@link #next()} returned
     * @throws IllegalStateException if it is not that entry
     */
    void release(Entry e) {
        if (entries.get(next) != e || !e.received) {
            throw new IllegalStateException("released out of order: " + e + ", next is " + next);
        }
        entries.remove(next);
        e.data = null;
        inOrderBytes -= e.length;
        releasedBytes += e.length;
        next++;
    }

    /**
     * At the end of the stream, when every begun buffer was received: checks that the last buffer
     * and every buffer before it began.
     *
     * @throws Refusal naming {@code device-state.last} or {@code device-state.index}
     */
    void checkComplete() throws Refusal {
        if (lastIndex < 0) {
            throw new Refusal("device-state.last", device, "the last buffer of device " + device
                    + " never arrived (" + receivedBuffers + " buffers, " + receivedBytes + " bytes received)");
        }
        if (contiguous <= lastIndex) {
            throw new Refusal("device-state.index", contiguous, "buffer " + contiguous + " of device " + device
                    + " never arrived (its last buffer is " + lastIndex + ")");
        }
    }

    /** Drops the data of every received buffer still held: nothing will load it. */
    void dropData() {
        for (Entry e : entries.values()) {
            if (e.received) {
                e.data = null;
            }
        }
    }

    /** The index the loader needs next. */
    int nextIndex() {
        return next;
    }

    /** Bytes queued out of order, {@link #ENTRY_OVERHEAD} per buffer included. */
    long outOfOrderBytes() {
        return outOfOrderBytes;
    }

    /** In-order bytes admitted and not yet released (the loader's backlog). */
    long inOrderBytes() {
        return inOrderBytes;
    }

    /** The backlog cap. */
    long maxBacklogBytes() {
        return maxBacklogBytes;
    }

    /** Bytes of received buffers, released or not. */
    long receivedBytes() {
        return receivedBytes;
    }

    /** Bytes of released buffers. */
    long releasedBytes() {
        return releasedBytes;
    }

    /** The number of buffers held (begun and not released). */
    int size() {
        return entries.size();
    }
}
