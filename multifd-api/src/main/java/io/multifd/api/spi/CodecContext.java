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
