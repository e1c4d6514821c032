package io.multifd.api.spi;

import io.multifd.api.MultiFdConfig;

/**
 * What a sending channel tells the plug-ins it creates per channel. Immutable.
 */
public interface SendChannelContext {

    /** The channel id, 0 to {@code channelCount() - 1}. */
    int channelId();

    /** The number of channels in this session. */
    int channelCount();

    /** The sender's configuration (limits such as the maximum payload header and data lengths). */
    MultiFdConfig config();
}
