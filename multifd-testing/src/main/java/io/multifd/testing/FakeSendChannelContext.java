package io.multifd.testing;

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.SendChannelContext;

/**
 * A {@link SendChannelContext} for calling {@link io.multifd.api.spi.PayloadPlugin#newEncoder}
 * without the core. Immutable.
 *
 * @param channelId    the channel id, 0 to {@code channelCount - 1}
 * @param channelCount the number of channels
 * @param config       the sender's configuration
 */
public record FakeSendChannelContext(int channelId, int channelCount, MultiFdConfig config)
        implements SendChannelContext {

    /**
     * Channel {@code channelId} of a session with {@link MultiFdConfig#channels()} channels.
     *
     * @param channelId the channel id
     * @param config    the configuration
     * @return the context
     */
    public static FakeSendChannelContext of(int channelId, MultiFdConfig config) {
        return new FakeSendChannelContext(channelId, config.channels(), config);
    }
}
