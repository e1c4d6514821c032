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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.SendData;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.core.channel.ProgressClock;
import io.multifd.core.channel.SlotHandoff;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The clients' way into the slot hand-off of one sender: the session's checks before and during
 * the wait for an idle channel, the wait's bound (no channel moved a byte for the I/O timeout),
 * and the count of {@code send()} calls in flight that {@code finish()} waits for, so that no
 * data packet ever follows the end of stream.
 *
 * <p>Thread-safe; {@link #send} from any number of client threads. Allocates nothing per call.
 */
final class SendAdmission implements SlotHandoff.Gate {

    private final SendCoordinator session;
    private final SlotHandoff handoff;
    private final ProgressClock clock;
    /** Clients inside {@link #send}, counted before the session's state is checked. */
    private final AtomicInteger sending = new AtomicInteger();

    SendAdmission(SendCoordinator session, SlotHandoff handoff, ProgressClock clock) {
        this.session = session;
        this.handoff = handoff;
        this.clock = clock;
    }

    /**
     * Hands a filled slot to an idle channel.
     *
     * <p>Counted before the state is checked (both are sequentially consistent): either this call
     * sees that {@code finish()} began and throws, or {@code finish()} sees it in flight and waits
     * until it handed its slot over, which then goes out before the last SYNC and the EOS.
     *
     * @param filled the filled slot: not empty, its payload registered and declared
     * @return an empty slot for the caller
     * @throws IOException if the migration failed, the wait was interrupted, or no channel moved a
     *                     byte for the I/O timeout
     * @throws IllegalStateException if not connected, or {@code finish()} was called
     * @throws IllegalArgumentException if the slot is empty, or its payload is not registered or not declared
     */
    SendData send(SendData filled) throws IOException {
        PayloadPlugin<?> p = Objects.requireNonNull(filled, "filled").plugin();
        if (p == null) {
            throw new IllegalArgumentException("cannot send an empty slot");
        }
        int idx = session.indexOf(p);
        if (idx < 0) {
            throw new IllegalArgumentException("slot is tagged with payload plug-in '" + p.name() + "' ("
                    + p.getClass().getName() + "), which is not the instance registered with this sender");
        } else if (!session.declared().isDeclared(idx)) {
            throw new IllegalArgumentException("payload '" + p.name() + "' was not declared: call declare() before connect()");
        } else if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted before sending; the slot was not sent");
        }
        sending.incrementAndGet();
        try {
            return handoff.send(filled, this, clock);
        } finally {
            if (sending.decrementAndGet() == 0 && session.state() != SenderState.CONNECTED) {
                session.progressed(); // finish() may be waiting for this call
            }
        }
    }

    /** @return the {@code send()} calls in flight now */
    int inFlight() {
        return sending.get();
    }

    @Override
    public void check() throws IOException {
        session.checkUsableFast("send");
    }

    @Override
    public void timedOut() {
        session.fail(new ChannelTimeoutException(clock.stalledWords()
                + " while send() waited for an idle channel (the receiver is not reading)"));
    }
}
