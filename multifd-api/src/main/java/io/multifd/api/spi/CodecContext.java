package io.multifd.api.spi;

/**
 * What a codec's encoder or decoder needs to know about its channel. Immutable.
 */
public interface CodecContext {

    /** The channel id. */
    int channelId();

    /** The number of channels. */
    int channelCount();

    /**
     * The largest data length of one packet, raw or encoded: size buffers from this, never from
     * lengths found in received bytes.
     *
     * @return the configured maximum packet data length
     */
    int maxDataLength();
}
