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
package io.multifd.core;

import io.multifd.api.MigrationListener;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.PayloadPlugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;

/**
 * What {@link MultiFdSender.Builder} and {@link MultiFdReceiver.Builder} have in common: the
 * configuration, the plug-ins and codecs to use, the listener and the thread factory. Each
 * setter returns the concrete builder, so calls chain as before. Only this package makes
 * subclasses. Not thread-safe: one thread builds.
 *
 * @param <B> the concrete builder
 */
public abstract class SessionBuilder<B extends SessionBuilder<B>> {

    final MultiFdConfig config;
    private PluginRegistry registry;
    private final List<PayloadPlugin<?>> payloads = new ArrayList<>();
    private final List<Codec> codecs = new ArrayList<>();
    private MigrationListener listener = MigrationListener.NONE;
    private ThreadFactory threadFactory;

    SessionBuilder(MultiFdConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** @return this, typed as the concrete builder */
    abstract B self();

    /**
     * @param registry the plug-ins to use instead of {@link PluginRegistry#discover()}
     * @return this builder
     */
    public B registry(PluginRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        return self();
    }

    /**
     * @param plugin a payload plug-in instance to add (on the receiver typically configured with
     *               its destination); replaces a discovered one of the same class
     * @return this builder
     */
    public B payload(PayloadPlugin<?> plugin) {
        payloads.add(Objects.requireNonNull(plugin, "plugin"));
        return self();
    }

    /**
     * @param codec a codec instance to add; replaces a discovered one of the same class
     * @return this builder
     */
    public B codec(Codec codec) {
        codecs.add(Objects.requireNonNull(codec, "codec"));
        return self();
    }

    /**
     * @param listener follows the migration; called from library threads
     * @return this builder
     */
    public B listener(MigrationListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return self();
    }

    /**
     * Sets where the session's threads come from: every thread the library starts for this
     * sender or receiver (channel threads, reply readers, the watchdog, the receiver's
     * coordinating thread, {@code finishAsync()}'s thread, and the threads payload plug-ins ask
     * for through {@link io.multifd.api.spi.ReceiveContext#threadFactory}) is made by
     * {@code factory.newThread}, which must return a new, unstarted thread. The factory decides
     * whether the threads are daemon threads, their priority and thread group; the library still
     * names each thread ({@code multifd-<send|recv>-<short session id>-<role>}, set with
     * {@link Thread#setName} right after {@code newThread}) and starts it. Every such thread has
     * ended once {@code finish()} or {@code close()} returned (sender) or {@code await()}
     * returned or threw, or {@code close()} returned (receiver).
     *
     * <p>Without this setting the threads are daemon platform threads. The factory is called
     * from library threads as well as the caller's (the receiver makes its channel threads on
     * its coordinating thread), so it must be thread-safe; if it throws or returns null, the
     * operation that needed the thread fails with that error.
     *
     * @param factory makes the session's threads
     * @return this builder
     */
    public B threadFactory(ThreadFactory factory) {
        this.threadFactory = Objects.requireNonNull(factory, "factory");
        return self();
    }

    /** The thread factory set, or null for the library's daemon platform threads. */
    ThreadFactory threadFactoryOrNull() {
        return threadFactory;
    }

    /** The registry to use: the given or discovered one, with the added plug-ins and codecs. */
    PluginRegistry composeRegistry() {
        return PluginRegistry.compose(registry, payloads, codecs);
    }

    /** The listener set, or {@link MigrationListener#NONE}. */
    MigrationListener listenerOrNone() {
        return listener;
    }
}
