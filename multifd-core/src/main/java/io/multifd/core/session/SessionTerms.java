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
 * @param features      the hello's feature bits ({@code Wire.FEATURE_*})
 */
public record SessionTerms(SessionId sessionId, int channelCount, Codec codec, CodecOptions codecOptions,
                           int maxDataLength, int features) {

    /**
     * Terms without feature bits.
     *
     * @param sessionId     the session
     * @param channelCount  channels in the session
     * @param codec         the codec
     * @param codecOptions  its options
     * @param maxDataLength the largest packet data length
     */
    public SessionTerms(SessionId sessionId, int channelCount, Codec codec, CodecOptions codecOptions, int maxDataLength) {
        this(sessionId, channelCount, codec, codecOptions, maxDataLength, 0);
    }

    /** True if the sender reads return-path messages while streaming. */
    public boolean returnPath() {
        return (features & io.multifd.core.wire.Wire.FEATURE_RETURN_PATH) != 0;
    }

    /** Checks that nothing is missing. */
    public SessionTerms {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(codecOptions, "codecOptions");
    }
}
