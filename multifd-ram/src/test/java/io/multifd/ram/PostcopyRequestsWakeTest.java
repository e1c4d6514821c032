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
package io.multifd.ram;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.SendSession;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source's waits on the destination's return messages end when the session fails, woken by
 * the failure itself: the session here never reports a failure through {@code failure()}, so
 * only {@link PostcopyRequests#onSessionFailed} can end a wait long before its ten-minute
 * timeout. The outcome is asserted (the waiter ended, with the failure named), with a generous
 * bound, never a duration.
 */
class PostcopyRequestsWakeTest {

    private static final long TEN_MINUTES = TimeUnit.MINUTES.toNanos(10);

    /** A session that is never asked for anything but {@code failure()}, which stays empty. */
    private static SendSession silentSession() {
        return (SendSession) Proxy.newProxyInstance(SendSession.class.getClassLoader(), new Class<?>[]{SendSession.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("failure")) {
                        return Optional.empty();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private interface Wait {
        void run(PostcopyRequests r) throws IOException;
    }

    private static Wait wait(String which) {
        return switch (which) {
            case "pacing" -> r -> r.awaitRequestOrApplied(1, TEN_MINUTES);
            case "release" -> r -> r.awaitReleased(TEN_MINUTES);
            case "bitmap" -> r -> r.awaitBitmap(TEN_MINUTES);
            default -> throw new IllegalArgumentException(which);
        };
    }

    private static Thread waiter(PostcopyRequests r, Wait w, AtomicReference<Throwable> ended) {
        Thread t = new Thread(() -> {
            try {
                w.run(r);
                ended.set(new AssertionError("the wait returned without its event"));
            } catch (Throwable e) {
                ended.set(e);
            }
        }, "postcopy-wait");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void assertEndedWith(Thread t, AtomicReference<Throwable> ended, Throwable cause) throws Exception {
        t.join(30_000); // generous: the wait's own timeout is ten minutes
        assertThat(t.isAlive()).as("the waiter was woken by the failure").isFalse();
        assertThat(ended.get()).isInstanceOf(MigrationFailedException.class)
                .hasMessageContaining("post-copy waited for the destination").cause().isSameAs(cause);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pacing", "release", "bitmap"})
    void aFailureDuringTheWaitEndsItWithTheCause(String which) throws Exception {
        PostcopyRequests r = new PostcopyRequests(List.of(RamBlock.allocate("pc.ram", 64 * 4096L, 4096)), silentSession());
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread t = waiter(r, wait(which), ended);
        // let it reach its wait if it can; the outcome below holds whether it did or not
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.getState() != Thread.State.TIMED_WAITING && t.isAlive() && System.nanoTime() < until) {
            LockSupport.parkNanos(1_000_000);
        }
        IOException cause = new IOException("channel 1: connection reset (test)");
        r.onSessionFailed(cause);
        assertEndedWith(t, ended, cause);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"pacing", "release", "bitmap"})
    void aFailureBeforeTheWaitEndsItToo(String which) throws Exception {
        PostcopyRequests r = new PostcopyRequests(List.of(RamBlock.allocate("pc.ram", 64 * 4096L, 4096)), silentSession());
        IOException cause = new IOException("channel 0: broken pipe (test)");
        r.onSessionFailed(cause);
        r.onSessionFailed(new IOException("a later error, not the first"));
        AtomicReference<Throwable> ended = new AtomicReference<>();
        assertEndedWith(waiter(r, wait(which), ended), ended, cause);
    }
}
