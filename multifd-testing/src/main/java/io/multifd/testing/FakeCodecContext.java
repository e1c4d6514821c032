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
