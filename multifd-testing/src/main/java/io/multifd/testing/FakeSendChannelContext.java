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
