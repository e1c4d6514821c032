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
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SessionId;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.channel.ReceiveChannel;
import io.multifd.core.session.SenderState;
import io.multifd.testing.transport.FaultLink;
import io.multifd.core.testkit.Async;
import io.multifd.core.testkit.FaultyTransport;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.RawClient;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.wire.EndExchange;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.PacketHeader;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code cancel()} from another thread, in every state of the sender ({@link SenderState}) and in
 * every phase of a receiving channel ({@link ReceiveChannel.Phase}): the blocked call on the
 * cancelled side throws within 2 s with a cause that says who cancelled, the other side fails
 * too, and no thread is left. Past the commit point, or after a failure, it changes nothing. The
 * guard tests walk both enums: a new state without a scenario here fails the build.
 */
@Timeout(60)
class CancelEveryStateTest {

    private static final SessionId SESSION = new SessionId(7, 7);
    private static final long BOUND_MS = 2000;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        assertThat(Threads.awaitNone(5)).as("multifd threads alive").isEmpty();
    }

    private interface Scenario {
        void run() throws Exception;
    }

    // ------------------------------------------------------------------ the guards

    @Test
    void everySenderStateHasACancelScenario() {
        assertThat(senderScenarios().keySet()).containsExactlyInAnyOrder(SenderState.values());
    }

    @Test
    void everyReceivingChannelPhaseHasACancelScenario() {
        assertThat(receiverScenarios().keySet()).containsExactlyInAnyOrder(ReceiveChannel.Phase.values());
    }

    @TestFactory
    Stream<DynamicTest> cancelTheSender() {
        return senderScenarios().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey().name(), () -> {
            try {
                e.getValue().run();
            } finally {
                cleanUp();
                toClose.clear();
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> cancelTheReceiver() {
        return receiverScenarios().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey().name(), () -> {
            try {
                e.getValue().run();
            } finally {
                cleanUp();
                toClose.clear();
            }
        }));
    }

    private Map<SenderState, Scenario> senderScenarios() {
        Map<SenderState, Scenario> m = new EnumMap<>(SenderState.class);
        m.put(SenderState.NEW, this::senderNew);
        m.put(SenderState.CONNECTING, () -> {
            senderConnectingWhileTheTransportConnects();
            senderConnectingWhileHandshaking();
        });
        m.put(SenderState.CONNECTED, () -> {
            senderStreaming();
            senderAtTheBarrier();
        });
        m.put(SenderState.FINISHING, this::senderFinishing);
        m.put(SenderState.COMMITTING, this::senderCommitting);
        m.put(SenderState.FINISHED, this::senderFinished);
        m.put(SenderState.FAILED, this::senderFailed);
        m.put(SenderState.CLOSED, this::senderClosed);
        return m;
    }

    private Map<ReceiveChannel.Phase, Scenario> receiverScenarios() {
        Map<ReceiveChannel.Phase, Scenario> m = new EnumMap<>(ReceiveChannel.Phase.class);
        m.put(ReceiveChannel.Phase.ACCEPTED, this::receiverWhileTheSenderConnects);
        m.put(ReceiveChannel.Phase.SETUP, this::receiverWaitingForTheManifest);
        m.put(ReceiveChannel.Phase.STREAMING, this::receiverStreaming);
        m.put(ReceiveChannel.Phase.AT_SYNC, this::receiverAtTheBarrier);
        m.put(ReceiveChannel.Phase.ENDED, this::receiverAfterEos);
        m.put(ReceiveChannel.Phase.COMMITTING, this::receiverWaitingForCommit);
        m.put(ReceiveChannel.Phase.COMMITTED, this::receiverWithOneChannelCommitted);
        m.put(ReceiveChannel.Phase.DRAINING, this::receiverDraining);
        m.put(ReceiveChannel.Phase.CLOSED, this::receiverClosed);
        return m;
    }

    // ------------------------------------------------------------------ helpers

    private static final MultiFdConfig CONFIG = MultiFdConfig.builder().channels(2).build();

    private MultiFdSender sender(MultiFdConfig config, TransportConnector connector) {
        MultiFdSender s = MultiFdSender.builder(config, connector).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload()).build();
        BlobClient.declare(s, s.payload(BlobPayload.class).orElseThrow());
        toClose.add(s);
        return s;
    }

    private MultiFdReceiver receiver(MultiFdConfig config, io.multifd.api.spi.TransportListener listener) {
        MultiFdReceiver r = MultiFdReceiver.builder(config, listener).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(new BlobSink())).build().start();
        toClose.add(r);
        return r;
    }

    private Harness harness(InMemoryTransport t) throws IOException {
        return harness(t.listener(), t.connector());
    }

    private Harness harness(io.multifd.api.spi.TransportListener l, TransportConnector c) throws IOException {
        Harness h = Harness.connect(CONFIG, l, c);
        toClose.add(h);
        return h;
    }

    /** Runs {@code call} on its own thread (it is expected to block). */
    private static <T> CompletableFuture<T> blocked(java.util.concurrent.Callable<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "test-blocked-call");
        t.setDaemon(true);
        t.start();
        return f;
    }

    /** Cancels on another thread, named so that the cause can be checked. */
    private static void cancelFromAnotherThread(Runnable cancel) throws InterruptedException {
        Thread t = new Thread(cancel, "test-canceller");
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(t.isAlive()).as("cancel() returned").isFalse();
    }

    /** What {@code f} failed with, within the bound. */
    private static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(BOUND_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the blocked call did not end within " + BOUND_MS + " ms of cancel()");
        }
        throw new AssertionError("the blocked call succeeded after cancel()");
    }

    /** A MigrationFailedException whose cause is ABORTED, naming who cancelled on which thread. */
    private static void assertCancelled(Throwable e, String who) {
        assertThat(e).isInstanceOf(MigrationFailedException.class);
        assertThat(e.getCause()).isInstanceOf(MultiFdException.class)
                .hasMessageContaining("the " + who + " was cancelled (cancel() on thread 'test-canceller')");
        assertThat(((MultiFdException) e.getCause()).code()).isEqualTo(ProtocolCode.ABORTED);
    }

    /** The peer's failure, within the bound, names who cancelled. */
    private static void assertPeerToldOf(Throwable e, String who) {
        assertThat(e).isInstanceOf(MigrationFailedException.class);
        assertThat(e.getCause()).hasMessageContaining("the " + who + " was cancelled");
    }

    private static Throwable awaitFailure(MultiFdReceiver r) throws InterruptedException {
        return failure(Async.supply(() -> {
            try {
                return r.await(Duration.ofSeconds(30));
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }).exceptionallyCompose(x -> CompletableFuture.failedFuture(x.getCause())));
    }

    private static PacketHeader control(int flags, long sequence, long epoch) {
        PacketHeader h = new PacketHeader();
        h.flags = flags;
        h.sequence = sequence;
        h.epoch = epoch;
        return h;
    }

    private static byte[] eosBody() {
        byte[] eos = new byte[16];
        EndExchange.eosBody(ByteBuffer.wrap(eos), 0, 0);
        return eos;
    }

    /** Hand-driven channels of one session of {@code count}; channel 0 sends the manifest. */
    private List<RawClient> rawSession(InMemoryTransport t, int count) throws Exception {
        List<RawClient> cs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RawClient c = RawClient.connect(t.connector(), i);
            toClose.add(0, c); // closed after the receiver
            c.hello(SESSION, i, count, 0, "");
            assertThat(c.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
            if (i == 0) {
                c.manifest(List.of(new Manifest.Record(BlobPayload.ID, new byte[0])));
                assertThat(c.reply().kind()).isEqualTo(Wire.REPLY_MANIFEST_ACCEPT);
            }
            cs.add(c);
        }
        return cs;
    }

    /** The ERROR reply a raw channel reads after the receiver failed (skipping COMPLETED). */
    private static Reply errorReply(RawClient c) throws IOException {
        Reply r = c.reply();
        while (r != null && r.kind() == Wire.REPLY_COMPLETED) {
            r = c.reply();
        }
        return r;
    }

    // ------------------------------------------------------------------ sender scenarios

    private void senderNew() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdSender s = sender(CONFIG, t.connector());
        cancelFromAnotherThread(s::cancel);
        assertCancelled(catchThrowable(s::connect), "sender");
    }

    private void senderConnectingWhileTheTransportConnects() throws Exception {
        CountDownLatch connecting = new CountDownLatch(1);
        TransportConnector hangs = new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                connecting.countDown();
                try {
                    new CountDownLatch(1).await(); // until interrupted
                } catch (InterruptedException e) {
                    throw new InterruptedIOException("connect interrupted");
                }
                throw new AssertionError("unreachable");
            }

            @Override
            public String description() {
                return "a transport that never connects";
            }
        };
        MultiFdSender s = sender(CONFIG, hangs);
        CompletableFuture<Void> f = blocked(() -> {
            s.connect();
            return null;
        });
        assertThat(connecting.await(10, TimeUnit.SECONDS)).isTrue();
        cancelFromAnotherThread(s::cancel);
        assertCancelled(failure(f), "sender");
    }

    private void senderConnectingWhileHandshaking() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        io.multifd.api.spi.TransportListener l = t.listener();
        toClose.add(l);
        MultiFdSender s = sender(CONFIG, t.connector());
        CompletableFuture<Void> f = blocked(() -> {
            s.connect();
            return null;
        });
        TransportChannel accepted = l.accept(Duration.ofSeconds(10)); // accepted, never answered
        toClose.add(accepted);
        cancelFromAnotherThread(s::cancel);
        assertCancelled(failure(f), "sender");
    }

    private void senderStreaming() throws Exception {
        Harness h = harness(InMemoryTransport.create());
        CountDownLatch flowing = new CountDownLatch(20);
        h.sink.failTrigger((channel, ids, count) -> flowing.countDown());
        CompletableFuture<Void> sending = blocked(() -> {
            BlobClient c = h.client();
            for (long i = 0; ; i++) {
                c.add(i, 1, 2000);
            }
        });
        assertThat(flowing.await(10, TimeUnit.SECONDS)).isTrue();
        cancelFromAnotherThread(h.sender::cancel);
        assertCancelled(failure(sending), "sender");
        assertPeerToldOf(awaitFailure(h.receiver), "sender");
    }

    /**
     * The sender's owner waits in sync() while a channel writes a packet slowly under the
     * bandwidth cap; the other channel's SYNC holds the receiver at its barrier.
     */
    private void senderAtTheBarrier() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdConfig capped = MultiFdConfig.builder().channels(2).maxBandwidth(4096).build();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        MultiFdSender s = sender(capped, t.connector());
        s.connect();
        BlobClient c = new BlobClient(s, s.payload(BlobPayload.class).orElseThrow());
        c.add(1, 1, 60_000); // about 15 s at 4 KiB/s
        c.flush();
        CompletableFuture<Long> syncing = blocked(s::sync);
        cancelFromAnotherThread(s::cancel);
        assertCancelled(failure(syncing), "sender");
        // the packet held back by the cap is completed, then ABORT: the receiver learns why
        assertPeerToldOf(awaitFailure(r), "sender");
    }

    private void senderFinishing() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        FaultyTransport.Listener l = new FaultyTransport.Listener(t.listener(), (conn, kind) -> kind == Wire.REPLY_COMPLETED);
        Harness h = harness(l, t.connector());
        sendOne(h);
        CompletableFuture<MigrationStats> finishing = blocked(h.sender::finish); // never sees COMPLETED
        waitUntil(() -> h.receiver.stats().packets() == 1);
        cancelFromAnotherThread(h.sender::cancel);
        assertCancelled(failure(finishing), "sender");
        assertPeerToldOf(awaitFailure(h.receiver), "sender");
    }

    private void senderCommitting() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        CountDownLatch commitSeen = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        FaultyTransport.Connector conn = new FaultyTransport.Connector(t.connector(), p -> {
            if ((p.flags() & Wire.FLAG_COMMIT) != 0 && p.channel() == 0) {
                commitSeen.countDown(); // past the commit point: COMMIT is being written
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return false;
        });
        Harness h = harness(t.listener(), conn);
        sendOne(h);
        CompletableFuture<MigrationStats> finishing = blocked(h.sender::finish);
        assertThat(commitSeen.await(10, TimeUnit.SECONDS)).isTrue();
        cancelFromAnotherThread(h.sender::cancel); // a no-op past the commit point
        release.countDown();
        assertThat(finishing.get(10, TimeUnit.SECONDS).packets()).isEqualTo(1);
        assertThat(h.receiver.await(Duration.ofSeconds(10)).packets()).isEqualTo(1);
    }

    private void senderFinished() throws Exception {
        Harness h = harness(InMemoryTransport.create());
        sendOne(h);
        MigrationStats s = h.sender.finish();
        cancelFromAnotherThread(h.sender::cancel);
        assertThat(h.sender.stats().packets()).isEqualTo(s.packets());
        assertThat(h.receiver.await(Duration.ofSeconds(10)).packets()).isEqualTo(1);
    }

    private void senderFailed() throws Exception {
        Harness h = harness(InMemoryTransport.create());
        cancelFromAnotherThread(h.receiver::cancel); // the first error: the receiver's
        Throwable first = catchThrowable(() -> {
            BlobClient c = h.client();
            for (long i = 0; ; i++) {
                c.add(i, 1, 2000);
                c.flush();
            }
        });
        assertPeerToldOf(first, "receiver");
        cancelFromAnotherThread(h.sender::cancel);
        assertThatThrownBy(h.sender::finish).isInstanceOf(MigrationFailedException.class)
                .cause().hasMessageContaining("the receiver was cancelled");
    }

    private void senderClosed() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdSender s = sender(CONFIG, t.connector());
        s.close();
        cancelFromAnotherThread(s::cancel);
        assertThatThrownBy(s::connect).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    // ------------------------------------------------------------------ receiver scenarios

    private void receiverWhileTheSenderConnects() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        MultiFdSender s = sender(CONFIG, t.connector());
        cancelFromAnotherThread(r::cancel);
        assertCancelled(awaitFailure(r), "receiver");
        assertThat(catchThrowable(s::connect)).isInstanceOf(MigrationFailedException.class);
    }

    private void receiverWaitingForTheManifest() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        RawClient c1 = RawClient.connect(t.connector(), 1);
        toClose.add(0, c1);
        c1.hello(SESSION, 1, 2, 0, "");
        assertThat(c1.reply().kind()).isEqualTo(Wire.REPLY_HELLO_ACCEPT);
        waitUntil(() -> receiverChannelIn(1, "ManifestApplication")); // waits for channel 0's manifest
        cancelFromAnotherThread(r::cancel);
        peerReadsTheErrorAndCloses(List.of(c1), 0);
        assertCancelled(awaitFailure(r), "receiver");
    }

    private void receiverStreaming() throws Exception {
        Harness h = harness(InMemoryTransport.create());
        CountDownLatch flowing = new CountDownLatch(20);
        h.sink.failTrigger((channel, ids, count) -> flowing.countDown());
        CompletableFuture<Void> sending = blocked(() -> {
            BlobClient c = h.client();
            for (long i = 0; ; i++) {
                c.add(i, 1, 2000);
            }
        });
        assertThat(flowing.await(10, TimeUnit.SECONDS)).isTrue();
        cancelFromAnotherThread(h.receiver::cancel);
        assertCancelled(awaitFailure(h.receiver), "receiver");
        assertPeerToldOf(failure(sending), "receiver");
    }

    private void receiverAtTheBarrier() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        List<RawClient> cs = rawSession(t, 2);
        cs.get(0).packet(control(Wire.FLAG_SYNC, 0, 0), new byte[0], new byte[0], false);
        waitUntil(() -> receiverChannelIn(0, "SyncBarrier"));
        cancelFromAnotherThread(r::cancel);
        peerReadsTheErrorAndCloses(cs, 0);
        assertCancelled(awaitFailure(r), "receiver");
    }

    private void receiverAfterEos() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        List<RawClient> cs = rawSession(t, 2);
        cs.get(0).packet(control(Wire.FLAG_EOS, 0, 0), eosBody(), new byte[0], false);
        waitUntil(() -> receiverChannelIn(0, "ReceiveChannel", "end")); // reading on, for COMMIT or ABORT
        cancelFromAnotherThread(r::cancel);
        peerReadsTheErrorAndCloses(cs, 1);
        assertCancelled(awaitFailure(r), "receiver");
    }

    private void receiverWaitingForCommit() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        List<RawClient> cs = rawSession(t, 2);
        for (RawClient c : cs) {
            c.packet(control(Wire.FLAG_EOS, 0, 0), eosBody(), new byte[0], false);
        }
        for (RawClient c : cs) {
            assertThat(c.reply().kind()).isEqualTo(Wire.REPLY_COMPLETED); // now it waits for COMMIT
        }
        cancelFromAnotherThread(r::cancel);
        peerReadsTheErrorAndCloses(cs, 0);
        assertCancelled(awaitFailure(r), "receiver");
    }

    private void receiverWithOneChannelCommitted() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        List<RawClient> cs = rawSession(t, 2);
        for (RawClient c : cs) {
            c.packet(control(Wire.FLAG_EOS, 0, 0), eosBody(), new byte[0], false);
        }
        for (RawClient c : cs) {
            assertThat(c.reply().kind()).isEqualTo(Wire.REPLY_COMPLETED);
        }
        cs.get(0).packet(control(Wire.FLAG_COMMIT, 1, 0), new byte[0], new byte[0], false); // channel 1 never commits
        waitUntil(() -> !receiverChannelAlive(0)); // channel 0 COMMITTED, and its thread ended
        cancelFromAnotherThread(r::cancel);
        peerReadsTheErrorAndCloses(cs, 1);
        assertCancelled(awaitFailure(r), "receiver");
    }

    private void receiverDraining() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver r = receiver(CONFIG, t.listener());
        List<RawClient> cs = rawSession(t, 2);
        cs.get(0).packet(RawClient.blobHeader(0, 0), new byte[] {0, 0, 0, 0}, new byte[0], true); // a bad CRC
        assertThat(errorReply(cs.get(0)).code()).isEqualTo(ProtocolCode.BAD_CRC); // failed, channels draining
        cancelFromAnotherThread(r::cancel);
        assertThatThrownBy(() -> r.await(Duration.ofSeconds(10))).isInstanceOf(MigrationFailedException.class)
                .cause().isInstanceOfSatisfying(MultiFdException.class,
                        e -> assertThat(e.code()).as("the first cause stays").isEqualTo(ProtocolCode.BAD_CRC));
    }

    private void receiverClosed() throws Exception {
        Harness h = harness(InMemoryTransport.create());
        sendOne(h);
        h.sender.finish();
        MigrationStats s = h.receiver.await(Duration.ofSeconds(10));
        cancelFromAnotherThread(h.receiver::cancel); // every channel CLOSED: a no-op
        assertThat(h.receiver.await(Duration.ofSeconds(1)).packets()).isEqualTo(s.packets());
    }

    /** Sends one blob of 100 bytes, in one packet. */
    private static void sendOne(Harness h) throws IOException {
        BlobClient c = h.client();
        c.add(1, 1, 100);
        c.flush();
    }

    /** The peer reads the receiver's ERROR (naming who cancelled) and hangs up, as a sender does. */
    private static void peerReadsTheErrorAndCloses(List<RawClient> cs, int k) throws IOException {
        assertThat(errorReply(cs.get(k)).message()).contains("the receiver was cancelled");
        for (RawClient c : cs) {
            c.close();
        }
    }

    /** Polls (every 5 ms, at most 10 s) until {@code cond} holds: test code waiting for a state. */
    private static void waitUntil(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean() && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        assertThat(cond.getAsBoolean()).as("condition reached").isTrue();
    }

    /** True if the receiver's channel thread {@code ch} is inside a method of {@code type}. */
    private static boolean receiverChannelIn(int ch, String type) {
        return receiverChannelIn(ch, type, null);
    }

    /** True if the receiver's channel thread {@code ch} is inside {@code method} (any, if null) of {@code type}. */
    private static boolean receiverChannelIn(int ch, String type, String method) {
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            String n = e.getKey().getName();
            if (n.startsWith("multifd-recv-") && n.endsWith("-ch" + ch)) {
                for (StackTraceElement f : e.getValue()) {
                    if (f.getClassName().endsWith("." + type) && (method == null || f.getMethodName().equals(method))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** True while the receiver's channel thread {@code ch} is alive. */
    private static boolean receiverChannelAlive(int ch) {
        return Threads.live().stream().anyMatch(n -> n.startsWith("multifd-recv-") && n.endsWith("-ch" + ch));
    }
}
