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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.SessionId;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.ReturnPath;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * What the receiver's payload plug-ins learn about the session when their receivers open.
 * Immutable apart from the thread counter; thread-safe.
 */
public final class PluginContext implements ReceiveContext {

    private final SessionTerms terms;
    private final MultiFdConfig config;
    private final Consumer<Throwable> fail;
    private final SessionThreads threads;
    private final AtomicInteger threadCounter = new AtomicInteger();
    private final IntFunction<ReturnPath> returnPaths;

    /**
     * @param terms   the session
     * @param config  the receiver's configuration
     * @param fail    fails the migration
     * @param threads makes the receiver's threads (the user's thread factory, if one was set)
     * @param returnPaths the return path of a payload type id, used if the terms have one
     */
    public PluginContext(SessionTerms terms, MultiFdConfig config, Consumer<Throwable> fail, SessionThreads threads,
                         IntFunction<ReturnPath> returnPaths) {
        this.terms = terms;
        this.config = config;
        this.fail = fail;
        this.threads = threads;
        this.returnPaths = returnPaths;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Available when the sender's hellos asked for a return path.
     */
    @Override
    public ReturnPath returnPath(int payloadType) {
        return terms.returnPath() ? returnPaths.apply(payloadType) : ReturnPath.NONE;
    }

    @Override
    public SessionId sessionId() {
        return terms.sessionId();
    }

    @Override
    public int channelCount() {
        return terms.channelCount();
    }

    @Override
    public MultiFdConfig config() {
        return config;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The threads come from the receiver's thread factory (daemon platform threads unless the
     * user set one) and are named {@code multifd-recv-<short session id>-<purpose>-<n>}, counted
     * per receiver.
     */
    @Override
    public ThreadFactory threadFactory(String purpose) {
        String p = purpose == null || purpose.isBlank() ? "worker" : purpose;
        return r -> threads.newThread(r, p + "-" + threadCounter.incrementAndGet());
    }

    @Override
    public void fail(Throwable cause) {
        fail.accept(cause);
    }
}
