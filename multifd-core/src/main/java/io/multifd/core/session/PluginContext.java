package io.multifd.core.session;

import io.multifd.api.MultiFdConfig;
import io.multifd.api.SessionId;
import io.multifd.api.spi.ReceiveContext;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What the receiver's payload plug-ins learn about the session when their receivers open.
 * Immutable apart from the thread counter; thread-safe.
 */
public final class PluginContext implements ReceiveContext {

    private final SessionTerms terms;
    private final MultiFdConfig config;
    private final Consumer<Throwable> fail;
    private final AtomicInteger threadCounter = new AtomicInteger();

    /**
     * @param terms  the session
     * @param config the receiver's configuration
     * @param fail   fails the migration
     */
    public PluginContext(SessionTerms terms, MultiFdConfig config, Consumer<Throwable> fail) {
        this.terms = terms;
        this.config = config;
        this.fail = fail;
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

    @Override
    public ThreadFactory threadFactory(String purpose) {
        String p = purpose == null || purpose.isBlank() ? "worker" : purpose;
        return r -> {
            Thread t = new Thread(r, "multifd-recv-" + p + "-" + threadCounter.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void fail(Throwable cause) {
        fail.accept(cause);
    }
}
