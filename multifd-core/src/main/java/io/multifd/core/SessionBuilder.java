package io.multifd.core;

import io.multifd.api.MigrationListener;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.PayloadPlugin;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What {@link MultiFdSender.Builder} and {@link MultiFdReceiver.Builder} have in common: the
 * configuration, the plug-ins and codecs to use, and the listener. Each setter returns the
 * concrete builder, so calls chain as before. Only this package makes subclasses. Not
 * thread-safe: one thread builds.
 *
 * @param <B> the concrete builder
 */
public abstract class SessionBuilder<B extends SessionBuilder<B>> {

    final MultiFdConfig config;
    private PluginRegistry registry;
    private final List<PayloadPlugin<?>> payloads = new ArrayList<>();
    private final List<Codec> codecs = new ArrayList<>();
    private MigrationListener listener = MigrationListener.NONE;

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

    /** The registry to use: the given or discovered one, with the added plug-ins and codecs. */
    PluginRegistry composeRegistry() {
        return PluginRegistry.compose(registry, payloads, codecs);
    }

    /** The listener set, or {@link MigrationListener#NONE}. */
    MigrationListener listenerOrNone() {
        return listener;
    }
}
