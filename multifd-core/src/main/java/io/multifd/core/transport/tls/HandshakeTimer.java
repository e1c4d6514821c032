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
package io.multifd.core.transport.tls;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Bounds TLS handshakes: one shared daemon thread ({@code multifd-tls-timer}) runs the
 * deadline actions, which close a stalled channel. The thread exists only while a handshake is
 * pending: it ends a moment after the last deadline was cancelled or fired. Thread-safe.
 */
final class HandshakeTimer {

    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        TIMER = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "multifd-tls-timer");
            t.setDaemon(true);
            return t;
        });
        TIMER.setRemoveOnCancelPolicy(true);
        TIMER.setKeepAliveTime(100, TimeUnit.MILLISECONDS);
        TIMER.allowCoreThreadTimeOut(true);
    }

    private HandshakeTimer() {
    }

    /** Runs {@code action} after {@code delay} unless the returned future is cancelled first. */
    static ScheduledFuture<?> schedule(Runnable action, Duration delay) {
        return TIMER.schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
}
