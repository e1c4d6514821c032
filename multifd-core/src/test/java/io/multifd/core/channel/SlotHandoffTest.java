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
import io.multifd.testing.BlobPayload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The hand-off on its own: the test thread plays the channel thread (it owns the mailboxes and
 * takes the jobs), other threads play clients.
 */
@Timeout(60)
class SlotHandoffTest {

    private static final long LONG = TimeUnit.SECONDS.toNanos(30);
    /** A client deadline no test waits for: a park that ends is a wake-up. */
    private static final long NEVER_BY_ITSELF = TimeUnit.HOURS.toNanos(1);

    private final BlobPayload plugin = new BlobPayload();

    /**
     * A gate that lets everything through and records time-outs (the next check then throws).
     * {@code waiting} opens at the second check: send() checks once on entry and once more after
     * the client registered as a waiter, just before its last scan and its park.
     */
    private static final class RecordingGate implements SlotHandoff.Gate {
        final AtomicInteger timeouts = new AtomicInteger();
        final CountDownLatch waiting = new CountDownLatch(2);

        @Override
        public void check() throws IOException {
            waiting.countDown();
            if (timeouts.get() > 0) {
                throw new IOException("timed out");
            }
        }

        @Override
        public void timedOut() {
            timeouts.incrementAndGet();
        }
    }

    private SendData filled() {
        SendData s = new SendData();
        s.fill(plugin);
        return s;
    }

    @Test
    void theFilledSlotGoesToTheChannelAndTheChannelsEmptySlotComesBack() throws IOException {
        SlotHandoff h = new SlotHandoff();
        SlotHandoff.Mailbox box = h.mailbox(0, Thread.currentThread());
        h.install(new SlotHandoff.Mailbox[] {box});
        assertThat(box.job()).isNull();

        SendData first = filled();
        SendData empty = h.send(first, new RecordingGate(), LONG);

        assertThat(empty).isNotSameAs(first);
        assertThat(empty.isEmpty()).isTrue();
        assertThat(box.job()).isSameAs(first);
        first.clear();
        box.done();
        assertThat(box.job()).isNull();

        SendData second = filled();
        assertThat(h.send(second, new RecordingGate(), LONG)).isSameAs(first);
        assertThat(box.job()).isSameAs(second);
    }

    @Test
    void aSlotStillHeldByAChannelIsRefused() throws IOException {
        SlotHandoff h = new SlotHandoff();
        SlotHandoff.Mailbox box = h.mailbox(3, Thread.currentThread());
        h.install(new SlotHandoff.Mailbox[] {box});
        SendData s = filled();
        h.send(s, new RecordingGate(), LONG);

        assertThatThrownBy(() -> h.send(s, new RecordingGate(), LONG))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already handed to channel 3");
    }

    @Test
    void noIdleChannelWithinTheTimeoutIsReportedToTheGate() throws IOException {
        SlotHandoff h = new SlotHandoff();
        SlotHandoff.Mailbox box = h.mailbox(0, Thread.currentThread());
        h.install(new SlotHandoff.Mailbox[] {box});
        h.send(filled(), new RecordingGate(), LONG); // the only channel is busy from now on

        RecordingGate gate = new RecordingGate();
        assertThatThrownBy(() -> h.send(filled(), gate, 1)).isInstanceOf(IOException.class).hasMessage("timed out");
        assertThat(gate.timeouts.get()).isEqualTo(1);
    }

    @Test
    void anExitedChannelIsNotOfferedSlots() {
        SlotHandoff h = new SlotHandoff();
        SlotHandoff.Mailbox box = h.mailbox(0, Thread.currentThread());
        h.install(new SlotHandoff.Mailbox[] {box});
        box.exit();

        RecordingGate gate = new RecordingGate();
        assertThatThrownBy(() -> h.send(filled(), gate, 1)).isInstanceOf(IOException.class);
        assertThat(box.job()).isNull();
    }

    @Test
    void aParkedClientGetsTheChannelOnceItTurnsIdle() throws Exception {
        SlotHandoff h = new SlotHandoff();
        SlotHandoff.Mailbox box = h.mailbox(0, Thread.currentThread());
        h.install(new SlotHandoff.Mailbox[] {box});
        SendData first = filled();
        h.send(first, new RecordingGate(), LONG);

        SendData second = filled();
        RecordingGate gate = new RecordingGate();
        CompletableFuture<SendData> result = new CompletableFuture<>();
        Thread client = new Thread(() -> {
            try {
                result.complete(h.send(second, gate, NEVER_BY_ITSELF));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "test-client");
        client.setDaemon(true);
        client.start();
        assertThat(gate.waiting.await(30, TimeUnit.SECONDS)).isTrue();
        // Only a client that is really parked proves the wake-up: one that has not parked yet
        // would find the idle channel on its own re-check.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (client.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        assertThat(client.getState()).as("the client parked").isEqualTo(Thread.State.TIMED_WAITING);
        assertThat(result).isNotDone();
        assertThat(box.job()).isSameAs(first);
        first.clear();
        box.done(); // must unpark the waiter: its own deadline is an hour away

        assertThat(result.get(20, TimeUnit.SECONDS)).as("woken by done(), not by its own deadline").isSameAs(first);
        assertThat(box.job()).isSameAs(second);
        client.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(client.isAlive()).isFalse();
    }

    @Test
    void anInterruptedWaitingClientGivesUpWithoutSending() throws Exception {
        SlotHandoff h = new SlotHandoff();
        SlotHandoff.Mailbox box = h.mailbox(0, Thread.currentThread());
        h.install(new SlotHandoff.Mailbox[] {box});
        SendData first = filled();
        h.send(first, new RecordingGate(), LONG);

        SendData second = filled();
        RecordingGate gate = new RecordingGate();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread client = new Thread(() -> {
            try {
                h.send(second, gate, LONG);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        client.start();
        assertThat(gate.waiting.await(30, TimeUnit.SECONDS)).isTrue(); // registered, parked or about to
        client.interrupt();
        client.join();

        assertThat(thrown.get()).isInstanceOf(InterruptedIOException.class);
        assertThat(box.job()).isSameAs(first);
    }
}
