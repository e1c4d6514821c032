package io.multifd.core.session;

import io.multifd.api.CodecOptions;
import io.multifd.api.SessionId;
import io.multifd.api.spi.Codec;

import java.util.Objects;

/**
 * What the first accepted hello fixed for the whole session, and every later hello must repeat.
 * Immutable; made once by {@link HelloValidator} and published once by the receiver, so any
 * thread may read it after that.
 *
 * @param sessionId     the session
 * @param channelCount  channels in the session
 * @param codec         the codec every channel decodes with
 * @param codecOptions  the codec's options, as announced (later hellos must announce the same options, compared by value)
 * @param maxDataLength the largest packet data length the sender announced
 */
public record SessionTerms(SessionId sessionId, int channelCount, Codec codec, CodecOptions codecOptions,
                           int maxDataLength) {

    /** Checks that nothing is missing. */
    public SessionTerms {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(codecOptions, "codecOptions");
    }
}
