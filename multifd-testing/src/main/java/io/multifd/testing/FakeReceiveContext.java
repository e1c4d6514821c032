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
package io.multifd.testing;

import io.multifd.api.MultiFdConfig;
import io.multifd.api.SessionId;
import io.multifd.api.spi.ReceiveContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A {@link ReceiveContext} for calling
 * {@link io.multifd.api.spi.PayloadPlugin#openReceiver(ReceiveContext, java.nio.ByteBuffer)}
 * without the core. It records the first {@link #fail(Throwable) failure} and runs an optional
 * action for it (the core aborts every payload receiver there); its thread factory makes daemon
 * threads named {@code multifd-<purpose>-<n>} and remembers them, so that a test can check that a
 * plug-in ended its threads.
 *
 * <p>Thread-safe, like the core's: any thread may call any method.
 */
public class FakeReceiveContext implements ReceiveContext {

    private final int channels;
    private final MultiFdConfig config;
    private final SessionId sessionId;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicInteger threadNumber = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private volatile Consumer<Throwable> onFailure = cause -> { };
    private volatile Boolean failingThreadInterrupted;

    /**
     * A context with {@link MultiFdConfig#channels()} channels.
     *
     * @param config the receiver's configuration
     */
    public FakeReceiveContext(MultiFdConfig config) {
        this(config.channels(), config);
    }

    /**
     * A context with session id {@code (1, 2)}.
     *
     * @param channelCount the number of channels the sender announced
     * @param config       the receiver's configuration
     */
    public FakeReceiveContext(int channelCount, MultiFdConfig config) {
        this.channels = channelCount;
        this.config = Objects.requireNonNull(config, "config");
        this.sessionId = new SessionId(1, 2);
    }

    /**
     * A context for tests in which no plug-in may report a failure: its {@link #fail(Throwable)}
     * records the cause and then throws an {@link AssertionError} carrying it, on the thread that
     * called it. Called from the test's thread (a channel receiver's {@code begin}/{@code end}),
     * that fails the test at that point; called from a plug-in's own thread, the error ends that
     * thread only, so such a test also checks {@link #failure()} is still {@code null} at its end.
     *
     * @param channelCount the number of channels the sender announced
     * @param config       the receiver's configuration
     * @return the context
     */
    public static FakeReceiveContext strict(int channelCount, MultiFdConfig config) {
        return new FakeReceiveContext(channelCount, config).onFailure(cause -> {
            throw new AssertionError("a plug-in reported a failure the test did not expect: " + cause, cause);
        });
    }

    /**
     * Sets what the first {@link #fail(Throwable)} does besides recording the cause: the core
     * aborts every payload receiver (pass {@code receiver::abort} to do the same).
     *
     * @param action runs on the thread that called {@code fail}, once
     * @return this
     */
    public FakeReceiveContext onFailure(Consumer<Throwable> action) {
        this.onFailure = Objects.requireNonNull(action, "action");
        return this;
    }

    /** Always {@code (1, 2)}. */
    @Override
    public SessionId sessionId() {
        return sessionId;
    }

    @Override
    public ThreadFactory threadFactory(String purpose) {
        return r -> {
            Thread t = new Thread(r, "multifd-" + purpose + "-" + threadNumber.incrementAndGet());
            t.setDaemon(true);
            synchronized (threads) {
                threads.add(t);
            }
            return t;
        };
    }

    /** Records the first cause and runs the {@linkplain #onFailure(Consumer) failure action}; later calls are ignored. */
    @Override
    public void fail(Throwable cause) {
        if (failure.compareAndSet(null, cause)) {
            onFailure.accept(cause);
            // the core goes on writing its ERROR replies on this thread: it must not be left interrupted
            failingThreadInterrupted = Thread.currentThread().isInterrupted();
        }
    }

    /** The count given to the constructor, whatever the configuration says. */
    @Override
    public int channelCount() {
        return channels;
    }

    /** The configuration given to the constructor. */
    @Override
    public MultiFdConfig config() {
        return config;
    }

    /** The first cause given to {@link #fail(Throwable)}, or {@code null}. */
    public Throwable failure() {
        return failure.get();
    }

    /**
     * Whether the thread that called the first {@code fail} was interrupted once the failure
     * action had run (the core goes on writing replies on that thread, so it must not be).
     *
     * @return empty until the first {@code fail} has returned from its action
     */
    public Optional<Boolean> failingThreadInterrupted() {
        return Optional.ofNullable(failingThreadInterrupted);
    }

    /**
     * The threads made by {@link #threadFactory(String)} that are still alive.
     *
     * @return a new list, owned by the caller
     */
    public List<Thread> aliveThreads() {
        List<Thread> alive = new ArrayList<>();
        synchronized (threads) {
            for (Thread t : threads) {
                if (t.isAlive()) {
                    alive.add(t);
                }
            }
        }
        return alive;
    }
}
