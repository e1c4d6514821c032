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

import io.multifd.api.MultiFdConfig;
import io.multifd.core.testkit.FinishHookPayload;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobSink;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A receiving plug-in whose {@code finish} ignores its timeout and interrupts (breaking the SPI)
 * holds the receiver's coordinating thread: {@code close()} still returns, stops the receiver's
 * other threads, and names the plug-in call that holds it.
 */
@Timeout(60)
class StuckReceiverPluginTest {

    /** What lets the stuck finish return: counted down at the end of the test. */
    private static final CountDownLatch RELEASE = new CountDownLatch(1);

    /** A receiving finish that waits for {@link #RELEASE}, whatever happens: it ignores interrupts too. */
    private static void stuck(Duration timeout) {
        boolean done = false;
        while (!done) {
            try {
                RELEASE.await();
                done = true;
            } catch (InterruptedException ignored) {
                // ignores interrupts too: the worst a plug-in can do
            }
        }
    }

    @Test
    void closeReturnsAndNamesThePluginCallThatHoldsTheReceiver(CapturedLogs logs) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(1).finishTimeout(Duration.ofSeconds(1))
                .ioTimeout(Duration.ofSeconds(1)).build(); // a grace period of 1 s: close gives up after 12 s
        MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener())
                .registry(PluginRegistry.builder().build()).payload(new FinishHookPayload(new BlobSink(), StuckReceiverPluginTest::stuck, cause -> { })).build().start();
        try {
            try (MultiFdSender sender = MultiFdSender.builder(config, t.connector())
                    .registry(PluginRegistry.builder().build()).payload(new FinishHookPayload()).build()) {
                FinishHookPayload plugin = sender.payload(FinishHookPayload.class).orElseThrow();
                BlobClient.declare(sender, plugin);
                sender.connect();
                BlobClient c = new BlobClient(sender, plugin);
                c.add(1, 1, 4000);
                c.flush();
                assertThat(catchThrowable(sender::finish)).as("the receiver never confirms").isNotNull();
            }
            receiver.close();
            assertThat(logs.awaitLogged(System.Logger.Level.WARNING, "did not end after close()",
                    Duration.ofSeconds(5)).message()).contains("it is in payload 'blob' finish()");
            assertThat(Threads.awaitNone(2)).as("threads other than the one held by the plug-in")
                    .allSatisfy(name -> assertThat(name).endsWith("-main"));
        } finally {
            RELEASE.countDown();
        }
        assertThat(Threads.awaitNone(10)).isEmpty();
    }
}
