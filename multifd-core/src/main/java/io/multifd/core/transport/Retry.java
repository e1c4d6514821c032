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
package io.multifd.core.transport;

import io.multifd.api.ChannelTimeoutException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.locks.LockSupport;

/** Retries a refused connection with a growing pause until a deadline. */
final class Retry {

    private static final System.Logger LOG = System.getLogger(Retry.class.getName());

    private Retry() {
    }

    interface Attempt<T> {
        T run(long leftNanos) throws IOException;
    }

    /**
     * Runs {@code attempt} until it succeeds, fails with something other than "refused", or the
     * timeout passes. The pause between attempts starts at 10 ms and doubles up to 250 ms; it is
     * a retry backoff, interruptible (an interrupt ends the wait with an exception).
     */
    static <T> T connect(String what, long timeoutNanos, Attempt<T> attempt) throws IOException {
        long deadline = System.nanoTime() + timeoutNanos;
        long pause = 10_000_000L;
        IOException last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                return attempt.run(Math.max(1, left));
            } catch (ConnectException | NoSuchFileException e) {
                if (last == null) {
                    LOG.log(System.Logger.Level.DEBUG, "connecting to " + what + " was refused (" + e.getMessage()
                            + "); retrying for up to " + (timeoutNanos / 1_000_000) + " ms");
                }
                last = e;
            }
            left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new ChannelTimeoutException("could not connect to " + what + " within "
                        + (timeoutNanos / 1_000_000) + " ms: " + last.getMessage(), last);
            }
            LockSupport.parkNanos(Math.min(pause, left));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while connecting to " + what);
            }
            pause = Math.min(pause * 2, 250_000_000L);
        }
    }
}
