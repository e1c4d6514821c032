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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.SessionId;
import io.multifd.core.testkit.RawClient;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The async API ({@link MultiFdSender#finishAsync()}, {@link MultiFdReceiver#awaitAsync()}), the
 * builders' thread factory and the session id in thread names: the futures complete with the
 * final statistics, or exceptionally with exactly what the blocking calls throw; cancelling a
 * future aborts the migration on both sides; a user's factory makes every thread, and every one
 * has ended once the sessions are closed.
 */
@Timeout(60)
class AsyncApiTest {

    private static final int BLOBS = 300;
    private static final SessionId SESSION = SessionId.parse("1a2b3c4d-0000-0000-0000-00000000abcd");

    private final MultiFdConfig config = MultiFdConfig.builder().channels(3).sessionId(SESSION)
            .ioTimeout(Duration.ofSeconds(5)).finishTimeout(Duration.ofSeconds(10)).build();
    private final InMemoryTransport transport = InMemoryTransport.create();
    private final BlobSink sink = new BlobSink();

    /** A user's thread factory that keeps every thread it made. */
    private static final class Recording implements ThreadFactory {
        final List<Thread> made = new CopyOnWriteArrayList<>();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "user-thread");
            t.setDaemon(true);
            made.add(t);
            return t;
        }

        Set<String> names() {
            return made.stream().map(Thread::getName).collect(Collectors.toSet());
        }

        List<String> alive() {
            return made.stream().filter(Thread::isAlive).map(Thread::getName).toList();
        }
    }

    @AfterEach
    void threadsEnded() throws InterruptedException {
        assertThat(Threads.awaitNone(5)).as("multifd threads alive after the test").isEmpty();
    }

    private MultiFdReceiver.Builder receiverBuilder() {
        return MultiFdReceiver.builder(config, transport.listener())
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink));
    }

    private MultiFdSender.Builder senderBuilder() {
        return MultiFdSender.builder(config, transport.connector())
                .registry(PluginRegistry.builder().build())
                .payload(new BlobPayload());
    }

    /** Declares the blob payload, connects, and sends {@link #BLOBS} blobs. */
    private static void connectAndSend(MultiFdSender sender) throws IOException {
        BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
        BlobClient.declare(sender, plugin);
        sender.connect();
        BlobClient c = new BlobClient(sender, plugin);
        for (int i = 0; i < BLOBS; i++) {
            c.add(i, 1, 700);
        }
        c.flush();
    }

    @Test
    void bothFuturesCompleteWithTheFinalStatsAndTheFactoriesMadeEveryThread() throws Exception {
        Recording senderThreads = new Recording();
        Recording receiverThreads = new Recording();
        MigrationStats sent;
        MigrationStats received;
        CompletableFuture<MigrationStats> early;
        try (MultiFdReceiver receiver = receiverBuilder().threadFactory(receiverThreads).build();
             MultiFdSender sender = senderBuilder().threadFactory(senderThreads).build()) {
            early = receiver.awaitAsync(); // before start(): the same future
            receiver.start();
            assertThat(receiverThreads.names()).as("before the first hello")
                    .containsExactlyInAnyOrder("multifd-recv-main", "multifd-recv-watchdog");
            connectAndSend(sender);
            CompletableFuture<MigrationStats> finishing = sender.finishAsync();
            sent = finishing.get(30, TimeUnit.SECONDS);
            received = receiver.awaitAsync().get(30, TimeUnit.SECONDS);
            assertThat(receiver.awaitAsync()).isSameAs(early);
            assertThat(receiver.await()).as("the blocking call agrees").isEqualTo(received);
        }
        assertThat(sent.sessionId()).isEqualTo(SESSION);
        assertThat(received.sessionId()).isEqualTo(SESSION);
        assertThat(sent.packets()).isPositive().isEqualTo(received.packets());
        assertThat(sent.rawBytes()).isEqualTo(received.rawBytes()).isGreaterThanOrEqualTo(BLOBS * 700L);
        assertThat(sink.applied()).hasSize(BLOBS);
        assertThat(sink.corrupt()).isZero();
        assertThat(early).isCompletedWithValue(received);

        assertThat(senderThreads.names()).containsExactlyInAnyOrder(
                "multifd-send-1a2b3c4d-watchdog", "multifd-send-1a2b3c4d-finish",
                "multifd-send-1a2b3c4d-ch0", "multifd-send-1a2b3c4d-ch1", "multifd-send-1a2b3c4d-ch2",
                "multifd-send-1a2b3c4d-ch0-reply", "multifd-send-1a2b3c4d-ch1-reply", "multifd-send-1a2b3c4d-ch2-reply");
        assertThat(receiverThreads.names()).as("one short-lived handshake thread per connection")
                .filteredOn(n -> n.contains("handshake")).isNotEmpty().containsOnly("multifd-recv-1a2b3c4d-handshake");
        assertThat(receiverThreads.names()).as("renamed once the first hello named the session")
                .filteredOn(n -> !n.contains("handshake")).containsExactlyInAnyOrder("multifd-recv-1a2b3c4d-main", "multifd-recv-1a2b3c4d-watchdog",
                        "multifd-recv-1a2b3c4d-ch0", "multifd-recv-1a2b3c4d-ch1", "multifd-recv-1a2b3c4d-ch2");
        assertThat(senderThreads.alive()).as("sender threads alive after close()").isEmpty();
        assertThat(receiverThreads.alive()).as("receiver threads alive after close()").isEmpty();
    }

    @Test
    void withoutAFactoryTheThreadsAreDaemonsNamedAfterTheSession() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        List<Boolean> daemons = new CopyOnWriteArrayList<>();
        try (MultiFdReceiver receiver = receiverBuilder().build().start();
             MultiFdSender sender = senderBuilder().build()) {
            sink.failTrigger((channel, ids, count) -> { // runs on the receiver's channel threads
                seen.add(Thread.currentThread().getName());
                daemons.add(Thread.currentThread().isDaemon());
            });
            connectAndSend(sender);
            sender.finishAsync().get(30, TimeUnit.SECONDS);
            receiver.awaitAsync().get(30, TimeUnit.SECONDS);
        }
        assertThat(seen).isNotEmpty().allMatch(n -> n.matches("multifd-recv-1a2b3c4d-ch[0-2]"), "a channel thread name");
        assertThat(daemons).containsOnly(true);
    }

    @Test
    void aReceiverFailureFailsBothFuturesWithWhatTheBlockingCallsThrow() throws Exception {
        try (MultiFdReceiver receiver = receiverBuilder().build().start();
             MultiFdSender sender = senderBuilder().build()) {
            sink.failTrigger((channel, ids, count) -> {
                for (int i = 0; i < count; i++) {
                    if (ids[i] == BLOBS - 1) {
                        throw new IOException("test handler refuses blob " + ids[i]);
                    }
                }
            });
            connectAndSend(sender);
            Throwable async = failureOf(sender.finishAsync());
            assertThat(async).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("test handler refuses blob 299")
                    .hasRootCauseInstanceOf(RemoteFailureException.class);
            assertThatThrownBy(sender::finish).as("finish() after the failure throws the same")
                    .isInstanceOf(async.getClass()).hasMessage(async.getMessage()).cause().isSameAs(async.getCause());

            Throwable asyncReceiver = failureOf(receiver.awaitAsync());
            assertThat(asyncReceiver).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("test handler refuses blob 299")
                    .cause().isInstanceOf(IOException.class);
            assertThatThrownBy(receiver::await).isInstanceOf(asyncReceiver.getClass())
                    .hasMessage(asyncReceiver.getMessage()).cause().isSameAs(asyncReceiver.getCause());
        }
    }

    @Test
    void aRefusedHandshakeIsDroppedAndTheReceiversFutureStillCompletes() throws Exception {
        try (MultiFdReceiver receiver = receiverBuilder().build().start();
             MultiFdSender sender = senderBuilder().build()) {
            try (RawClient c = RawClient.connect(transport.connector(), 0)) {
                c.write("GET / HTTP/1.1\r\nHost: example\r\n\r\n_padding_".getBytes(StandardCharsets.US_ASCII));
                Reply r = c.reply();
                assertThat(r.kind()).isEqualTo(Wire.REPLY_HELLO_REFUSE);
                assertThat(r.code()).isEqualTo(ProtocolCode.BAD_MAGIC);
            }
            connectAndSend(sender);
            MigrationStats sent = sender.finishAsync().get(30, TimeUnit.SECONDS);
            MigrationStats received = receiver.awaitAsync().get(30, TimeUnit.SECONDS);
            assertThat(received.packets()).isPositive().isEqualTo(sent.packets());
            assertThat(sink.applied()).hasSize(BLOBS);
        }
    }

    @Test
    void finishAsyncBeforeConnectFailsAsFinishDoes() throws Exception {
        try (MultiFdSender sender = senderBuilder().build()) {
            Throwable async = failureOf(sender.finishAsync());
            assertThat(async).isInstanceOf(IllegalStateException.class).hasMessageContaining("not connected");
            assertThatThrownBy(sender::finish).isInstanceOf(IllegalStateException.class).hasMessage(async.getMessage());
            assertThat(failureOf(sender.finishAsync())).isInstanceOf(IllegalStateException.class)
                    .hasMessage("finishAsync() was already called");
        }
    }

    @Test
    void cancellingTheSendersFutureAbortsTheMigrationOnBothSides() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (MultiFdReceiver receiver = receiverBuilder().build().start();
             MultiFdSender sender = senderBuilder().build()) {
            sink.failTrigger((channel, ids, count) -> { // holds the last blob: the receiver cannot complete
                for (int i = 0; i < count; i++) {
                    if (ids[i] == BLOBS - 1) {
                        awaitRelease(release);
                    }
                }
            });
            connectAndSend(sender);
            CompletableFuture<MigrationStats> f = sender.finishAsync();
            assertThat(f.cancel(true)).isTrue();
            assertThat(f).isCancelled();
            assertThatThrownBy(sender::finish).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("finishAsync() was cancelled");
            release.countDown();
            assertThatThrownBy(receiver::await).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("the sender aborted").hasMessageContaining("finishAsync() was cancelled");
            assertThat(f.cancel(true)).as("cancel again: nothing more to do").isTrue();
        } finally {
            release.countDown();
        }
    }

    @Test
    void cancellingTheReceiversFutureAbortsTheMigrationOnBothSides() throws Exception {
        try (MultiFdReceiver receiver = receiverBuilder().build().start();
             MultiFdSender sender = senderBuilder().build()) {
            connectAndSend(sender);
            CompletableFuture<MigrationStats> f = receiver.awaitAsync();
            assertThat(f.cancel(false)).isTrue();
            assertThatThrownBy(() -> f.get(1, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
            assertThatThrownBy(receiver::await).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("awaitAsync() was cancelled");
            assertThat(failureOf(sender.finishAsync())).isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("awaitAsync() was cancelled");
        }
    }

    @Test
    void closingTheReceiverBeforeStartFailsItsFutureAsAwaitFails() throws Exception {
        MultiFdReceiver receiver = receiverBuilder().build();
        CompletableFuture<MigrationStats> f = receiver.awaitAsync();
        receiver.close();
        Throwable async = failureOf(f);
        assertThatThrownBy(receiver::await).isInstanceOf(MigrationFailedException.class)
                .hasMessage(async.getMessage()).cause().isSameAs(async.getCause());
        assertThat(async.getCause()).hasMessageContaining("closed before start()");
    }

    @Test
    @SuppressWarnings("try") // the receiver only has to exist (and be closed) while the sender fails
    void aFactoryThatReturnsNullFailsConnectAndNamesTheFactory() throws Exception {
        ThreadFactory broken = new ThreadFactory() {
            @Override
            public Thread newThread(Runnable r) {
                return null;
            }

            @Override
            public String toString() {
                return "BrokenFactory";
            }
        };
        try (MultiFdReceiver receiver = receiverBuilder().build().start();
             MultiFdSender sender = senderBuilder().threadFactory(broken).build()) {
            BlobClient.declare(sender, sender.payload(BlobPayload.class).orElseThrow());
            assertThatThrownBy(sender::connect).isInstanceOf(MigrationFailedException.class)
                    .cause().isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("BrokenFactory").hasMessageContaining("returned null");
            assertThatThrownBy(() -> receiverBuilder().threadFactory(broken).build())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("'main'");
        }
    }

    /** The failure a future completed with, unwrapped from {@link ExecutionException}. */
    private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the future completed normally");
    }

    private static void awaitRelease(CountDownLatch release) throws IOException {
        try {
            if (!release.await(30, TimeUnit.SECONDS)) {
                throw new IOException("test: never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("test: interrupted", e);
        }
    }
}
