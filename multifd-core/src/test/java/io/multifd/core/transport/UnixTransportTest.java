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
package io.multifd.core.transport;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.FutureTask;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A sender may start before the receiver created its socket file: a missing file is retried like a refusal. */
@Timeout(30)
class UnixTransportTest {

    @TempDir
    Path dir;

    @Test
    void aMissingSocketFileIsRetriedUntilTheTimeout() {
        Path socket = dir.resolve("not-yet.sock");
        assertThatThrownBy(() -> UnixTransport.connector(socket).connect(0, Duration.ofMillis(200)))
                .isInstanceOf(ChannelTimeoutException.class)
                .hasMessageContaining("could not connect to unix " + socket + " within 200 ms")
                .hasMessageContaining("no socket file yet");
    }

    @Test
    void aSocketFileThatAppearsWhileRetryingIsConnected() throws Exception {
        Path socket = dir.resolve("later.sock");
        // its own thread, not the common pool: a pool task blocked elsewhere must not delay it
        FutureTask<TransportChannel> connecting = new FutureTask<>(
                () -> UnixTransport.connector(socket).connect(0, Duration.ofSeconds(20)));
        Thread connector = new Thread(connecting, "unix-connect-test");
        connector.start();
        try (TransportListener listener = UnixTransport.listen(socket);
             TransportChannel accepted = listener.accept(Duration.ofSeconds(20));
             TransportChannel connected = connecting.get()) {
            connected.write(ByteBuffer.wrap(new byte[]{42}));
            ByteBuffer one = ByteBuffer.allocate(1);
            assertThat(accepted.read(one)).isEqualTo(1);
            assertThat(one.get(0)).isEqualTo((byte) 42);
        }
        connector.join();
    }
}
