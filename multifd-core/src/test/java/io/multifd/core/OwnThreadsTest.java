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
import io.multifd.api.MigrationListener;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The library's own threads. {@code close()} called on one of them (a plug-in callback, a listener)
 * does not wait for the threads, one of which is the caller: it aborts, returns at once, and a
 * thread of its own finishes closing. Before, it waited for itself until its deadlines ran out
 * (10 s and a false "ignores interrupts" warning on the receiver, 7 s on the sender; found by
 * the embedder audit). A thread the receiver cannot start is reported to the sender.
 */
@Timeout(60)
class OwnThreadsTest {

    private final MultiFdConfig config = MultiFdConfig.builder().channels(2).build();

    @AfterEach
    void threadsEnded() throws InterruptedException {
        assertThat(Threads.awaitNone(10)).as("multifd threads alive after the test").isEmpty();
    }

    @Test
    void aReceivingPlugInThatClosesTheReceiverIsNotHeldByIt() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        CompletableFuture<Long> closeNanos = new CompletableFuture<>();
        try (Harness h = Harness.connect(config, t.listener(), t.connector())) {
            h.sink.failTrigger((channel, ids, count) -> {
                long t0 = System.nanoTime();
                h.receiver.close(); // on the receiver's channel thread
                closeNanos.complete(System.nanoTime() - t0);
            });
            BlobClient c = h.client();
            c.add(1, 1, 1000);
            c.flush();
            long took = TimeUnit.NANOSECONDS.toMillis(closeNanos.get(20, TimeUnit.SECONDS));
            assertThat(took).as("ms close() took on the channel thread").isLessThan(2_000);
            assertThatThrownBy(() -> h.receiver.await(Duration.ofSeconds(20)))
                    .isInstanceOf(MigrationFailedException.class).hasMessageContaining("the receiver was closed");
            assertThat(catchThrowable(h.sender::finish)).isInstanceOf(MigrationFailedException.class);
        }
    }

    /**
     * A receiver that cannot start a thread for a sender's connection tells that sender why
     * (an ERROR reply), instead of closing it silently: the sender took a silent close for a
     * full admission cap and retried for its whole connect timeout, then blamed the cap.
     */
    @Test
    void aReceiverThatCannotStartAThreadTellsTheSender() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ThreadFactory failing = r -> {
            if (made.incrementAndGet() >= 3) { // the coordinating thread and the watchdog, then none
                throw new IllegalStateException("test: thread pool exhausted");
            }
            Thread th = new Thread(r);
            th.setDaemon(true);
            return th;
        };
        MultiFdConfig c = MultiFdConfig.builder().channels(2).connectTimeout(Duration.ofSeconds(20)).build();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(c, t.listener())
                .registry(PluginRegistry.builder().build()).payload(new io.multifd.testing.BlobPayload(
                        new io.multifd.testing.BlobSink())).threadFactory(failing).build().start();
             MultiFdSender sender = MultiFdSender.builder(c, t.connector()).registry(PluginRegistry.builder().build())
                     .payload(new io.multifd.testing.BlobPayload()).build()) {
            BlobClient.declare(sender, sender.payload(io.multifd.testing.BlobPayload.class).orElseThrow());
            long t0 = System.nanoTime();
            Throwable failed = catchThrowable(sender::connect);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(failed).as("the sender is told").isNotNull().hasStackTraceContaining("thread pool exhausted");
            assertThat(tookMs).as("ms, against the 20 s connect timeout it waited before").isLessThan(10_000);
            assertThatThrownBy(() -> receiver.await(Duration.ofSeconds(20)))
                    .hasStackTraceContaining("thread pool exhausted");
        }
    }

    @Test
    void aSenderListenerThatClosesTheSenderIsNotHeldByIt() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        AtomicReference<MultiFdSender> sender = new AtomicReference<>();
        CompletableFuture<Long> closeNanos = new CompletableFuture<>();
        MigrationListener closeOnFailure = new MigrationListener() {
            @Override
            public void onFailed(Throwable cause) {
                long t0 = System.nanoTime();
                sender.get().close(); // on a thread of the sender's, under its session lock
                closeNanos.complete(System.nanoTime() - t0);
            }
        };
        try (Harness h = Harness.connect(config, t.listener(), t.connector(), b -> b, closeOnFailure)) {
            sender.set(h.sender);
            h.sink.failTrigger((channel, ids, count) -> {
                throw new java.io.IOException("the receiver refuses this packet");
            });
            BlobClient c = h.client();
            c.add(1, 1, 1000);
            c.flush();
            long took = TimeUnit.NANOSECONDS.toMillis(closeNanos.get(20, TimeUnit.SECONDS));
            assertThat(took).as("ms close() took in onFailed").isLessThan(2_000);
            assertThatThrownBy(h.sender::finish).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("the receiver refuses this packet");
        }
    }
}
