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
package io.multifd.core.session;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The sync barrier on its own, without channels or sockets: what it orders (no party leaves
 * epoch e before every party arrived at e; the last to arrive reports the epoch once) and what it
 * refuses (a SYNC of another epoch, any wait once the migration failed, an interrupted wait).
 * Threads are joined, never timed.
 */
@Timeout(60)
class SyncBarrierTest {

    private static final long JOIN_MILLIS = 30_000;

    private record Event(int party, long epoch, boolean leaving) {
    }

    @Test
    void noPartyLeavesAnEpochBeforeEveryPartyArrived() throws Exception {
        int parties = 4;
        int epochs = 50;
        List<Event> events = Collections.synchronizedList(new ArrayList<>());
        List<Long> passed = Collections.synchronizedList(new ArrayList<>());
        SyncBarrier barrier = new SyncBarrier(parties, () -> null, passed::add);
        AtomicReference<Throwable> error = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < parties; p++) {
            int party = p;
            Thread t = new Thread(() -> {
                try {
                    for (long e = 0; e < epochs; e++) {
                        events.add(new Event(party, e, false));
                        barrier.arrive(e);
                        events.add(new Event(party, e, true));
                    }
                } catch (Throwable x) {
                    error.set(x);
                }
            }, "sync-barrier-test-" + p);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(JOIN_MILLIS);
            assertThat(t.isAlive()).as(t.getName() + " ended").isFalse();
        }
        assertThat(error.get()).isNull();
        assertThat(events).hasSize(2 * parties * epochs);
        for (long e = 0; e < epochs; e++) {
            int lastArrival = -1;
            int firstLeave = Integer.MAX_VALUE;
            for (int i = 0; i < events.size(); i++) {
                Event ev = events.get(i);
                if (ev.epoch() == e && !ev.leaving()) {
                    lastArrival = Math.max(lastArrival, i);
                }
                if (ev.epoch() == e && ev.leaving()) {
                    firstLeave = Math.min(firstLeave, i);
                }
            }
            assertThat(firstLeave).as("the first party leaving epoch %d comes after the last arriving", e)
                    .isGreaterThan(lastArrival);
        }
        List<Long> expected = new ArrayList<>();
        for (long e = 0; e < epochs; e++) {
            expected.add(e);
        }
        assertThat(passed).as("each epoch is reported once, in order").isEqualTo(expected);
        assertThat(barrier.passedEpochs()).isEqualTo(epochs);
    }

    @Test
    void aSinglePartyPassesAtOnceAndTheEpochAdvances() throws Exception {
        List<Long> passed = new ArrayList<>();
        SyncBarrier barrier = new SyncBarrier(1, () -> null, passed::add);
        assertThat(barrier.passedEpochs()).isZero();
        barrier.arrive(0);
        barrier.arrive(1);
        assertThat(passed).containsExactly(0L, 1L);
        assertThat(barrier.passedEpochs()).isEqualTo(2);
    }

    @Test
    void aSyncOfAnotherEpochIsRefused() throws Exception {
        SyncBarrier barrier = new SyncBarrier(1, () -> null, e -> { });
        assertThatThrownBy(() -> barrier.arrive(1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SYNC of epoch 1 while the barrier is at 0");
        barrier.arrive(0);
        assertThatThrownBy(() -> barrier.arrive(0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SYNC of epoch 0 while the barrier is at 1");
        assertThat(barrier.passedEpochs()).isEqualTo(1);
    }

    @Test
    void aFailureEndsTheWaitOfEveryPartyAndNoEpochPasses() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Long> passed = Collections.synchronizedList(new ArrayList<>());
        SyncBarrier barrier = new SyncBarrier(3, failure::get, passed::add);
        List<Throwable> thrown = Collections.synchronizedList(new ArrayList<>());
        List<Thread> waiters = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            Thread t = new Thread(() -> {
                try {
                    barrier.arrive(0);
                } catch (Throwable x) {
                    thrown.add(x);
                }
            }, "sync-barrier-waiter-" + p);
            waiters.add(t);
            t.start();
        }
        MultiFdException cause = new MultiFdException(ProtocolCode.TRANSPORT, "channel 2 was cut");
        failure.set(cause);
        barrier.abort();
        for (Thread t : waiters) {
            t.join(JOIN_MILLIS);
            assertThat(t.isAlive()).as(t.getName() + " ended").isFalse();
        }
        assertThat(thrown).hasSize(2).allSatisfy(x -> assertThat(x).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("sync barrier aborted").hasCause(cause));
        assertThat(passed).as("no epoch passed without the third party").isEmpty();
        assertThat(barrier.passedEpochs()).isZero();
    }

    @Test
    void anInterruptedWaitEndsWithAnInterruptedIoException() throws Exception {
        SyncBarrier barrier = new SyncBarrier(2, () -> null, e -> { });
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                barrier.arrive(0);
            } catch (Throwable x) {
                thrown.set(x);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        }, "sync-barrier-interrupted");
        t.start();
        t.join(JOIN_MILLIS);
        assertThat(t.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class);
        assertThat(stillInterrupted.get()).as("the interrupt stays set").isTrue();
        assertThat(barrier.passedEpochs()).isZero();
    }
}
