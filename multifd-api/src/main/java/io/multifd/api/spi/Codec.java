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
package io.multifd.api.spi;

import io.multifd.api.CodecOptions;
import io.multifd.api.PluginUnavailableException;

import java.io.IOException;

/**
 * A codec: the transformation every channel applies to packet data, after the payload
 * prepared it and before it is written; and its inverse on the receiver. {@code none} (wire id 0)
 * ships in core; {@code zstd}, {@code lz4} and {@code zlib} ship in {@code multifd-compress}.
 * It applies to every payload kind.
 *
 * <p>The provider is stateless and shared: it makes one {@link CodecEncoder} per sending channel
 * and one {@link CodecDecoder} per receiving channel, at setup, and they are closed at teardown.
 * Steady state must allocate nothing: contexts and buffers are made once per channel.
 *
 * <p>Both ends configure the codec from the same {@link CodecOptions}, which travel in the hello.
 * A packet whose data would not shrink travels raw instead (the RAW flag); the encoder decides.
 *
 * <p>Deployment as for every provider: see the {@linkplain io.multifd.api.spi package
 * documentation}.
 */
public interface Codec {

    /** Wire id of the identity codec {@code none}. */
    int NONE_ID = 0;
    /** Largest wire id. Ids 0 to 255 are reserved for codecs shipped with multifd-java. */
    int MAX_ID = 0xFFFF;

    /** The wire id, unique among the codecs present. */
    int id();

    /** The name users select it by, e.g. {@code zstd}; matches {@code [a-z][a-z0-9_-]{0,31}}. */
    String name();

    /**
     * Checks that the codec can run here (its native library loaded). Called when the codec is
     * selected, on either side; the result should be computed once and remembered.
     *
     * @throws PluginUnavailableException naming the codec, with the original failure as cause
     */
    default void checkAvailable() throws PluginUnavailableException {
    }

    /**
     * Checks options before any connection: unknown keys and out-of-range values are refused.
     *
     * @param options the options
     * @throws IllegalArgumentException naming the option and the accepted range
     */
    void validate(CodecOptions options);

    /**
     * Makes the encoder of one sending channel. Called on that channel's thread at setup.
     *
     * @param options validated options
     * @param context the channel and its limits
     * @return the encoder, confined to that thread
     * @throws IOException if it cannot be made (for instance a native context failed)
     */
    CodecEncoder newEncoder(CodecOptions options, CodecContext context) throws IOException;

    /**
     * Makes the decoder of one receiving channel. Called on that channel's thread at setup.
     *
     * @param options validated options, as the sender announced them
     * @param context the channel and its limits
     * @return the decoder, confined to that thread
     * @throws IOException if it cannot be made
     */
    CodecDecoder newDecoder(CodecOptions options, CodecContext context) throws IOException;
}
