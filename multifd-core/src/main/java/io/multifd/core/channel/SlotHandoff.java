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

import io.multifd.api.SendData;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Swaps a client's filled {@link SendData} for an idle channel's empty one, without a lock and
 * without allocating. Every channel owns a {@link Mailbox} that holds one slot. A client claims
 * an idle mailbox with a compare-and-set on its {@code busy} word, swaps the slots, publishes the
 * filled one with a volatile write of {@code jobPending} and unparks the channel thread. The
 * channel thread writes the packet, clears the slot and releases {@code busy}; then it unparks
 * the clients parked in {@link #send} waiting for an idle channel.
 *
 * <p>Fairness: while clients wait, a newcomer queues up with them instead of taking the next idle
 * channel ahead of them (a busy RAM saver would otherwise starve device-state savers).
 *
 * <p>Threads: {@link #send} from any number of client threads; the {@link Mailbox} consumer
 * methods from its channel thread only; {@link #install} once, before the first send.
 */
public final class SlotHandoff {

    /** The CAS on {@link Mailbox#busy}: a VarHandle, so the claim allocates nothing. */
    private static final VarHandle BUSY;

    static {
        try {
            BUSY = MethodHandles.lookup().findVarHandle(Mailbox.class, "busy", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Waiters beyond this many poll every millisecond instead of being unparked. */
    private static final int WAITER_SLOTS = 64;
    private static final long OVERFLOW_POLL_NANOS = 1_000_000L;

    /**
     * What a hand-off needs from its session. Implemented once per session (a field, not a
     * lambda made per call), so {@link #send} allocates nothing.
     */
    public interface Gate {
        /**
         * Throws if sending is not allowed now (the migration failed, is not connected, or is
         * finishing). Called before the first attempt and after every wake-up.
         *
         * @throws IOException the reason, for instance a {@link io.multifd.api.MigrationFailedException}
         */
        void check() throws IOException;

        /**
         * No channel became idle within the timeout. The gate fails the session, so that the
         * next {@link #check()} throws.
         */
        void timedOut();
    }

    /**
     * Clients parked in {@link #send}. A waiter registers with a CAS from null to itself (so two
     * waiters never share an entry) and clears its entry with a volatile write; channel threads
     * read every entry (volatile) to unpark it. See {@link #wakeWaiters()} for why no wake-up is
     * lost.
     */
    private final AtomicReferenceArray<Thread> waiters = new AtomicReferenceArray<>(WAITER_SLOTS);
    /**
     * Clients inside the waiting part of {@link #send}, registered or not. A read-modify-write
     * (full fence) on the client side; a volatile read on the channel side, so that channels skip
     * the array scan while nobody waits.
     */
    private final AtomicInteger waiterCount = new AtomicInteger();
    /** Written once by {@link #install}; volatile so clients on any thread see the mailboxes. */
    private volatile Mailbox[] mailboxes = new Mailbox[0];
    /**
     * Where the next scan starts. Plain and racy on purpose: a stale value only changes which
     * idle channel is tried first, and a plain field costs nothing on the per-packet path.
     */
    private int nextChannel;

    /** Makes a hand-off with no channels; {@link #install} them before sending. */
    public SlotHandoff() {
    }

    /**
     * Makes the mailbox of one channel.
     *
     * @param channelId the channel's id (for messages)
     * @param consumer  the channel thread: the only thread that takes jobs out of this mailbox
     * @return a mailbox holding one empty slot
     */
    public Mailbox mailbox(int channelId, Thread consumer) {
        return new Mailbox(channelId, consumer);
    }

    /**
     * Publishes the channels' mailboxes, in channel order. Called once, before any
     * {@link #send}, by the thread that connects.
     *
     * @param boxes the mailboxes; not modified afterwards
     */
    public void install(Mailbox[] boxes) {
        mailboxes = boxes; // volatile store: publishes the array and each mailbox's fields
    }

    /**
     * Hands {@code filled} to an idle channel and returns that channel's empty slot, waiting at
     * most {@code timeoutNanos} for a channel to become idle. Any client thread; the caller owns
     * {@code filled} until the call and the returned slot afterwards.
     *
     * @param filled       the slot to send, tagged and filled by the caller
     * @param gate         the session's checks
     * @param timeoutNanos how long to wait for an idle channel before {@link Gate#timedOut()}
     * @return an empty slot, now owned by the caller
     * @throws IOException whatever {@link Gate#check()} throws, or an {@link InterruptedIOException}
     *                     (the slot was not sent)
     * @throws IllegalArgumentException if {@code filled} is a slot a channel still holds
     */
    public SendData send(SendData filled, Gate gate, long timeoutNanos) throws IOException {
        return send(filled, gate, ProgressClock.frozen(timeoutNanos));
    }

    /**
     * Hands {@code filled} to an idle channel and returns that channel's empty slot, waiting for a
     * channel to become idle until {@code progress} says that no channel moved a byte for its
     * timeout: a slow but moving migration (a low bandwidth cap) never times out here. Allocates
     * nothing. Any client thread; the caller owns {@code filled} until the call and the returned
     * slot afterwards.
     *
     * @param filled   the slot to send, tagged and filled by the caller
     * @param gate     the session's checks
     * @param progress the session's progress clock; {@link Gate#timedOut()} once it says stalled
     * @return an empty slot, now owned by the caller
     * @throws IOException whatever {@link Gate#check()} throws, or an {@link InterruptedIOException}
     *                     (the slot was not sent)
     * @throws IllegalArgumentException if {@code filled} is a slot a channel still holds
     */
    public SendData send(SendData filled, Gate gate, ProgressClock progress) throws IOException {
        gate.check();
        Mailbox[] boxes = mailboxes;
        for (Mailbox b : boxes) {
            // A racy plain read of another thread's field, as a diagnostic only: a slot the
            // client still legitimately owns can never be the one a mailbox holds.
            if (b.slot == filled) {
                throw new IllegalArgumentException("this slot was already handed to channel " + b.channelId
                        + "; use the slot send() returned");
            }
        }
        // No barging: while others wait, queue up behind them (see the class comment).
        SendData empty = waiterCount.get() == 0 ? tryHandOver(boxes, filled) : null;
        if (empty != null) {
            return empty;
        }
        long start = System.nanoTime();
        int me = -1;
        // Count first, register second, scan third: see wakeWaiters() for why this order matters.
        waiterCount.incrementAndGet();
        try {
            Thread self = Thread.currentThread();
            for (int i = 0; i < WAITER_SLOTS; i++) {
                if (waiters.compareAndSet(i, null, self)) {
                    me = i;
                    break;
                }
            }
            while (true) {
                gate.check();
                empty = tryHandOver(boxes, filled);
                if (empty != null) {
                    return empty;
                }
                long left = progress.left(start);
                if (left <= 0) {
                    gate.timedOut();
                    continue; // check() now throws
                }
                // An unregistered waiter (more than WAITER_SLOTS of them) cannot be unparked: it polls.
                LockSupport.parkNanos(this, me >= 0 ? left : Math.min(left, OVERFLOW_POLL_NANOS));
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for an idle channel; the slot was not sent");
                }
            }
        } finally {
            if (me >= 0) {
                waiters.set(me, null); // volatile: a channel that still reads the old entry only unparks spuriously
            }
            waiterCount.decrementAndGet();
        }
    }

    /** Claims an idle mailbox and hands it the slot; returns its empty slot, or null if none is idle. */
    private SendData tryHandOver(Mailbox[] boxes, SendData filled) {
        int n = boxes.length;
        int start = nextChannel;
        for (int i = 0; i < n; i++) {
            int j = start + i;
            if (j >= n) {
                j -= n;
            }
            Mailbox b = boxes[j];
            // The volatile read of busy first filters out busy channels without a CAS (which
            // would take the cache line exclusively); exited is volatile too, set once.
            if (b.busy == 0 && !b.exited && BUSY.compareAndSet(b, 0, 1)) {
                // The CAS is a volatile read-modify-write: it acquires the channel thread's
                // release of busy, so the slot read below is the one the channel cleared.
                SendData empty = b.slot;
                b.slot = filled; // plain: this thread owns the mailbox until jobPending is published
                b.jobPending = true; // volatile store (release): publishes slot and body to the channel
                nextChannel = j + 1 == n ? 0 : j + 1;
                LockSupport.unpark(b.consumer);
                return empty;
            }
        }
        return null;
    }

    /**
     * Unparks every client parked in {@link #send}. Any thread.
     *
     * <p>No wake-up is lost. A channel releases {@code busy} (volatile store), then reads
     * {@code waiterCount}, then the entries (volatile loads). A client increments
     * {@code waiterCount} (a read-modify-write), registers in an entry (CAS), then reads
     * {@code busy} (volatile load) while scanning. Volatile accesses are sequentially
     * consistent, so either the client's scan sees the released {@code busy} and claims it, or
     * the channel sees the count and the entry and unparks the client (a permit given before
     * the client parks makes the park return at once).
     */
    public void wakeWaiters() {
        if (waiterCount.get() == 0) {
            return;
        }
        for (int i = 0; i < WAITER_SLOTS; i++) {
            Thread t = waiters.get(i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /**
     * One channel's side of the hand-off: a single slot, owned by whoever holds {@code busy}.
     * The consumer methods are for the channel thread only.
     */
    public final class Mailbox {

        private final int channelId;
        private final Thread consumer;
        /**
         * 0: idle, the channel thread owns nothing; 1: claimed by a client, or holding a job.
         * Set to 1 only by a client's CAS, back to 0 only by the channel thread's volatile store.
         */
        volatile int busy;
        /** Owned by the client that claimed busy until jobPending, then by the channel thread. */
        SendData slot = new SendData();
        /** Set by the claiming client after the slot (release); read by the channel thread (acquire). */
        volatile boolean jobPending;
        /** Set once when the channel thread ends; clients stop offering it slots. */
        volatile boolean exited;

        private Mailbox(int channelId, Thread consumer) {
            this.channelId = channelId;
            this.consumer = consumer;
        }

        /**
         * The slot handed to this channel, if any. Channel thread only.
         *
         * @return the filled slot, owned by the channel thread until {@link #done()}; or null
         */
        public SendData job() {
            // Volatile load (acquire) of jobPending: if it is set, the client's earlier plain
            // store of slot and its writes into the body are visible.
            return jobPending ? slot : null;
        }

        /**
         * Marks the job written and the channel idle, then wakes waiting clients. Channel thread
         * only, after it cleared the slot.
         */
        public void done() {
            // Cleared BEFORE busy is released: once busy is 0 a client may claim the mailbox and
            // set jobPending again, and clearing it after that would lose the client's packet.
            // A volatile store, although busy's release below would publish it too: one store
            // per packet next to a write system call is not worth a weaker VarHandle access.
            jobPending = false;
            // Volatile store (release): the next client whose CAS claims the mailbox sees the
            // cleared slot and jobPending == false.
            busy = 0;
            wakeWaiters();
        }

        /** Takes this channel out of the hand-off for good and wakes waiting clients. Channel thread only. */
        public void exit() {
            exited = true; // volatile: clients that read it skip this channel
            wakeWaiters();
        }
    }
}
