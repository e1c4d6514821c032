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
package io.multifd.ram;

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.ReturnPath;
import io.multifd.testing.FakeReceiveContext;

import java.nio.ByteBuffer;
import java.util.List;

/** Receive contexts for tests of the post-copy receiver: a return path that keeps what it is given. */
final class ReturnPathContexts {

    private ReturnPathContexts() {
    }

    /**
     * A one-channel context whose return path copies every message into {@code sent}.
     *
     * @param config the receiver's configuration
     * @param sent   where the messages go (thread-safe if the test reads it from another thread); null to drop them
     * @return the context
     */
    static FakeReceiveContext recording(MultiFdConfig config, List<byte[]> sent) {
        return new FakeReceiveContext(1, config) {
            @Override
            public ReturnPath returnPath(int payloadType) {
                return new ReturnPath() {
                    @Override
                    public boolean available() {
                        return true;
                    }

                    @Override
                    public void send(ByteBuffer message) {
                        if (sent != null) {
                            byte[] b = new byte[message.remaining()];
                            message.get(message.position(), b);
                            sent.add(b);
                        }
                    }
                };
            }
        };
    }
}
