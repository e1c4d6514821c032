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
package io.multifd.ram.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The destination's application threads waiting in {@link PostcopyState#require}: each waits on
 * its own condition, so that a packet's arrival wakes only the threads whose pages it completed,
 * while a change of state (release, failure, pause, resume) wakes them all (one condition for
 * all woke every waiting reader on every post-copy packet: thousands of futile wake-ups per GiB,
 * on the same few CPUs as the channel threads).
 *
 * <p>Thread-safe: channel threads call {@link #wakeComplete} (lock-free when nobody waits), any
 * thread {@link #wakeAll}, application threads {@link #await}.
 */
final class PageWaits {

    /** What a wait waits for; evaluated under the lock, after every wake-up. */
    interface Check {
        /** @return true once the wait is over */
        boolean done();
    }

    /** Whether every page of a range is present. */
    interface Pages {
        /**
         * @param block the block's index
         * @param first the first page
         * @param last  the last page (inclusive)
         * @return true if every page is present
         */
        boolean allPresent(int block, long first, long last);
    }

    /** Ends a wait that must not go on (the migration failed), by throwing; under the lock, before each wait. */
    interface Abort {
        /** @throws IOException the reason the wait ends */
        void check() throws IOException;
    }

    /** A waiting thread: the pages it waits for (block -1: none, only a change of state), its condition. */
    private record Waiter(int block, long first, long last, Condition woken) {
    }

    private final Pages pages;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayList<Waiter> waiting = new ArrayList<>(); // lock
    private final AtomicInteger count = new AtomicInteger();

    PageWaits(Pages pages) {
        this.pages = pages;
    }

    /** Wakes every waiting thread: the state changed. Any thread. */
    void wakeAll() {
        lock.lock();
        try {
            for (Waiter w : waiting) {
                w.woken.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Wakes the threads waiting for pages of the block that are all present now. Channel thread,
     * after it cleared the pages' missing bits; takes no lock when nobody waits.
     *
     * @param block the block's index
     */
    void wakeComplete(int block) {
        if (count.get() == 0) {
            return;
        }
        lock.lock();
        try {
            for (Waiter w : waiting) {
                if (w.block == block && pages.allPresent(block, w.first, w.last)) {
                    w.woken.signal();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@code check} holds, at most until {@code deadline}. Application thread.
     *
     * @param check    what ends the wait (under the lock: no I/O)
     * @param beforeWait run before each wait, without the lock (it may send on the return path:
     *                 a write that blocks must not hold arrivals' wake-ups), or null
     * @param block    the block whose pages it waits for, -1 for none
     * @param first    the first page
     * @param last     the last page (inclusive)
     * @param deadline the {@link System#nanoTime()} at which to give up
     * @param abort    called before each wait; throws to end it
     * @param timeout  the exception for a wait that reached its deadline
     * @param what     what the wait is for, for an interruption's message
     * @throws IOException what {@code abort} or {@code timeout} gives, or an
     *                     {@link InterruptedIOException} if interrupted
     */
    void await(Check check, Runnable beforeWait, int block, long first, long last, long deadline, Abort abort,
               Supplier<IOException> timeout, String what) throws IOException {
        count.incrementAndGet(); // before the check: an arrival after it sees a waiter and takes the lock
        lock.lock();
        Waiter me = new Waiter(block, first, last, lock.newCondition());
        waiting.add(me);
        try {
            while (!check.done()) {
                abort.check();
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw timeout.get();
                }
                if (beforeWait != null) {
                    lock.unlock();
                    try {
                        beforeWait.run();
                    } finally {
                        lock.lock();
                    }
                    if (check.done()) {
                        break; // arrived meanwhile: its wake-up found this thread not waiting
                    }
                }
                me.woken.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException x = new InterruptedIOException("interrupted while waiting for " + what);
            x.initCause(e);
            throw x;
        } finally {
            waiting.remove(me);
            lock.unlock();
            count.decrementAndGet();
        }
    }
}
