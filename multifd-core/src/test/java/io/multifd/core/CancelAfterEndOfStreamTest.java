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
import io.multifd.api.RemoteFailureException;
import io.multifd.core.testkit.Async;
import io.multifd.core.testkit.FinishHookPayload;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * After the end of stream the receiver still hears its sender: a sender cancelled while the
 * receiving plug-ins finish (a slow device restore, say) fails the receiver at once and aborts
 * the plug-ins, instead of leaving them to finish for a migration already abandoned and the
 * receiver to notice only afterwards (found by the embedder audit: 17 s against 2.7 s).
 */
@Timeout(60)
class CancelAfterEndOfStreamTest {

    @AfterEach
    void threadsEnded() throws InterruptedException {
        assertThat(Threads.awaitNone(5)).as("multifd threads alive after the test").isEmpty();
    }

    @Test
    void aSenderCancelledWhileThePlugInsFinishFailsTheReceiverAtOnce() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig config = MultiFdConfig.builder().channels(2).finishTimeout(Duration.ofSeconds(30)).build();
        // the receiving plug-in's finish takes the whole finish timeout unless aborted
        CountDownLatch finishing = new CountDownLatch(1);
        CountDownLatch aborted = new CountDownLatch(1);
        AtomicReference<Throwable> abortCause = new AtomicReference<>();
        FinishHookPayload receiving = new FinishHookPayload(new BlobSink(), timeout -> {
            finishing.countDown();
            try {
                if (aborted.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw new IOException("finish aborted: " + abortCause.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("finish interrupted");
            }
        }, cause -> {
            abortCause.compareAndSet(null, cause);
            aborted.countDown();
        });
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, t.listener())
                .registry(PluginRegistry.builder().build()).payload(receiving).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, t.connector())
                     .registry(PluginRegistry.builder().build()).payload(new FinishHookPayload()).build()) {
            FinishHookPayload plugin = sender.payload(FinishHookPayload.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            for (int i = 0; i < 20; i++) {
                c.add(i, 1, 4000);
            }
            c.flush();
            CompletableFuture<Void> finish = Async.run(() -> catchThrowable(sender::finish));
            assertThat(finishing.await(20, TimeUnit.SECONDS)).as("the receiving plug-in is finishing").isTrue();
            long cancelled = System.nanoTime();
            sender.cancel();
            finish.get(20, TimeUnit.SECONDS);
            assertThatThrownBy(() -> receiver.await(Duration.ofSeconds(20)))
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("the sender aborted")
                    .cause().isInstanceOf(RemoteFailureException.class);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cancelled);
            assertThat(aborted.getCount()).as("the finishing plug-in was aborted").isZero();
            assertThat(abortCause.get()).hasMessageContaining("the sender aborted");
            // the plug-in would have held the receiver for the 30 s finish timeout
            assertThat(tookMs).as("ms from the cancel until the receiver failed").isLessThan(15_000);
        }
    }
}
