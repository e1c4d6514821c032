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
