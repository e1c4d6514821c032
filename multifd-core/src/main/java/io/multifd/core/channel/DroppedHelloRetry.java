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

import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.LockSupport;

/**
 * When a receiver closes a sender's connection before answering its hello, the receiver may have
 * been full of connections still proving themselves (its cap on pending handshakes: a port scan,
 * or connections that stall): the sender connects again, with a growing pause, until its connect
 * timeout. A receiver that answers or refuses is not retried, nor a connection that broke after
 * the receiver said anything, nor a TLS connection.
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

    /**
     * Decides after a failed read of the hello's reply, and waits before the next attempt.
     *
     * @param failure   what the read threw
     * @param bytesRead bytes the receiver sent on this connection before it (0: it said nothing)
     * @param tls       whether the connection is TLS: never retried, since a receiver that refuses
     *                  the sender's certificate after a TLS 1.3 handshake the sender saw complete
     *                  also just closes (the cap, which closes before any TLS byte, then fails the
     *                  sender's handshake, which is not retried either)
     * @return true to connect again (after the pause); false to fail with {@code failure}
     * @throws InterruptedIOException if interrupted during the pause
     */
    boolean again(IOException failure, long bytesRead, boolean tls) throws InterruptedIOException {
        if (tls || bytesRead != 0 || !(failure instanceof EOFException || closedByPeer(failure))) {
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

    /**
     * A reset or broken pipe: the receiver closed the connection with the hello unread (a plain
     * socket error, which {@link ChannelIo} reports as a transport failure). A TLS failure is not one.
     */
    private static boolean closedByPeer(IOException e) {
        return e instanceof MultiFdException m && m.code() == ProtocolCode.TRANSPORT
                && e.getCause() instanceof java.net.SocketException;
    }

    /** Connections dropped before the receiver's reply and tried again so far. */
    int retries() {
        return retries;
    }
}
