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

import io.multifd.api.spi.ConnectionDroppedException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * When a receiver closes a sender's connection before answering its hello, the receiver may have
 * been full of connections still proving themselves (its cap on pending handshakes: a port scan,
 * or connections that stall): the sender connects again, with a growing pause, until its connect
 * timeout. Over a transport with a handshake of its own (TLS) the transport reports the same case
 * as a {@link ConnectionDroppedException} from {@code connect}. A receiver that answers or
 * refuses is not retried, nor a connection that broke after the receiver said anything (over TLS
 * that includes a refused certificate: the refusal comes after the receiver's half of the TLS
 * handshake).
 *
 * <p>One per channel thread, used by that thread only; allocates nothing per attempt.
 */
final class DroppedHelloRetry {

    private static final long FIRST_PAUSE_NANOS = 20_000_000L;
    private static final long MAX_PAUSE_NANOS = 500_000_000L;
    private final long deadline;
    private long pause = FIRST_PAUSE_NANOS;
    private int retries;

    /**
     * @param connectTimeoutNanos the budget for connecting, counted from now (the first attempt)
     */
    DroppedHelloRetry(long connectTimeoutNanos) {
        this.deadline = System.nanoTime() + connectTimeoutNanos;
    }

    /** The connect timeout for the next attempt: what is left of the budget (at least 1 ms). */
    Duration connectTimeout() {
        return Duration.ofNanos(Math.max(1_000_000L, deadline - System.nanoTime()));
    }

    /**
     * Decides after a failed attempt, and waits before the next one.
     *
     * @param failure    what connecting, writing the hello or reading its reply threw
     * @param connection the connection, or null if {@code connect} threw
     * @return true to connect again (after the pause); false to fail with {@code failure}
     * @throws InterruptedIOException if interrupted during the pause
     */
    boolean again(IOException failure, ChannelIo connection) throws InterruptedIOException {
        boolean dropped = connection == null ? failure instanceof ConnectionDroppedException
                // over TLS, a close after the handshake is a refusal, not the cap
                : !connection.tls() && connection.offset() == 0
                && PeerClose.closedByPeer(failure);
        if (!dropped) {
            return false;
        }
        long left = deadline - System.nanoTime();
        if (left <= pause) {
            return false;
        }
        LockSupport.parkNanos(this, pause);
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to connect again");
        }
        pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        retries++;
        return true;
    }

    /** Connections dropped before the receiver's reply and tried again so far. */
    int retries() {
        return retries;
    }
}
