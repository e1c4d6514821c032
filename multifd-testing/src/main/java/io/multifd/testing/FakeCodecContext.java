package io.multifd.testing;

import io.multifd.api.spi.CodecContext;

/**
 * A {@link CodecContext} for making a codec's encoder and decoder without the core. Immutable.
 *
 * @param channelId     the channel id
 * @param channelCount  the number of channels
 * @param maxDataLength the largest data length of one packet
 */
public record FakeCodecContext(int channelId, int channelCount, int maxDataLength) implements CodecContext {

    /**
     * Channel 0 of 1.
     *
     * @param maxDataLength the largest data length of one packet
     * @return the context
     */
    public static FakeCodecContext of(int maxDataLength) {
        return new FakeCodecContext(0, 1, maxDataLength);
    }
}
