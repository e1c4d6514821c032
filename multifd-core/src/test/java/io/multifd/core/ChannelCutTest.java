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
package io.multifd.core;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.testkit.Async;
import io.multifd.core.testkit.FaultyTransport;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.Threads;
import io.multifd.core.testkit.Transports;
import io.multifd.testing.BlobClient;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A channel closed in the middle of a transfer, on either side, fails both sides within 5 s
 * (with the default 30 s I/O timeout: detection must not rely on timeouts) and leaves no
 * {@code multifd-*} thread alive.
 */
@Timeout(60)
class ChannelCutTest {

    @ParameterizedTest(name = "{0}, cut on the {1} side")
    @CsvSource({"MEMORY, sender", "MEMORY, receiver", "TCP, sender", "TCP, receiver", "UNIX, sender", "UNIX, receiver"})
    void aCutChannelFailsBothSidesQuickly(Transports.Kind kind, String side, CapturedLogs logs) throws Exception {
        Transports.Pair pair = Transports.open(kind);
        FaultyTransport.Connector connector = new FaultyTransport.Connector(pair.connector(), p -> false);
        FaultyTransport.Listener listener = new FaultyTransport.Listener(pair.listener(), (c, k) -> false);
        MultiFdConfig config = MultiFdConfig.builder().channels(4).build();
        AtomicBoolean stop = new AtomicBoolean();
        try (Harness h = Harness.connect(config, listener, connector)) {
            CountDownLatch flowing = new CountDownLatch(50);
            h.sink.failTrigger((channel, ids, count) -> flowing.countDown());
            CompletableFuture<Void> sending = Async.run(() -> {
                BlobClient c = h.client();
                try {
                    for (long i = 0; !stop.get(); i++) {
                        c.add(i, 1, 4000);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            // let data flow (the receiving plug-in counts packets down), then cut channel 2 (sender
            // side: its connection; receiver side: the third connection it accepted)
            assertThat(flowing.await(10, TimeUnit.SECONDS)).as("50 packets arrived").isTrue();
            assertThat(sending).isNotDone();
            long cutAt = System.nanoTime();
            if (side.equals("sender")) {
                connector.cut(2);
            } else {
                listener.cut(2);
            }
            Throwable senderError = null;
            try {
                sending.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                senderError = e.getCause();
            }
            assertThat(senderError).as("the client's send() must fail").isNotNull()
                    .hasRootCauseInstanceOf(Exception.class);
            assertThat(senderError.getCause()).isInstanceOf(MigrationFailedException.class);
            Throwable receiverError = null;
            try {
                h.receiver.await(Duration.ofSeconds(5));
            } catch (MigrationFailedException e) {
                receiverError = e;
            }
            assertThat(receiverError).as("the receiver must fail").isNotNull();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt)).as("ms until both sides failed")
                    .isLessThan(5000);
            // the receiver's failure is also logged, as await() reported it
            logs.awaitLogged(System.Logger.Level.WARNING, "failed: " + receiverError.getCause().getMessage(), Duration.ofSeconds(10));
        } finally {
            stop.set(true);
        }
        assertThat(Threads.awaitNone(5)).as("multifd threads alive after the cut").isEmpty();
    }
}
