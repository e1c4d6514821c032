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

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.TcpTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connections that have not proved themselves never hurt the migration: strays that close, stay
 * silent or send garbage are each logged once and dropped while the real sender's migration
 * completes, and connections beyond {@link MultiFdConfig#maxPendingConnections()} are closed at
 * once. Loopback TCP.
 */
@Timeout(60)
class AdmissionTest {

    private static final int BLOBS = 200;

    private final BlobSink sink = new BlobSink();
    private final List<Socket> strays = new ArrayList<>();
    private CapturedLogs logs;
    private TcpTransport.Listener listener;
    private MultiFdReceiver receiver;

    @BeforeEach
    void setUp(CapturedLogs logs) {
        this.logs = logs;
        listener = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterEach
    void cleanUp() throws IOException, InterruptedException {
        for (Socket s : strays) {
            s.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        listener.close();
        assertThat(Threads.awaitNone(10)).isEmpty();
    }

    private MultiFdReceiver receiver(MultiFdConfig config) {
        receiver = MultiFdReceiver.builder(config, listener).registry(PluginRegistry.builder().build())
                .payload(new BlobPayload(sink)).build().start();
        return receiver;
    }

    private Socket stray() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.localAddress().getPort());
        s.setSoTimeout(20_000); // bounds the reads below; a receiver that never closes fails the test
        strays.add(s);
        return s;
    }

    /** The one WARNING line naming the stray's address, waiting for it; fails if there are more. */
    private String droppedOnce(Socket s) throws InterruptedException {
        String needle = "127.0.0.1:" + s.getLocalPort() + ":";
        String line = logs.awaitLogged(System.Logger.Level.WARNING, needle, Duration.ofSeconds(20)).message();
        assertThat(line).startsWith("dropped connection ");
        assertThat(line).as("the connection named once, not again by its own error").doesNotContain(": connection ");
        assertThat(logs.records(System.Logger.Level.WARNING)).filteredOn(e -> e.message().contains(needle))
                .as("log lines for the stray " + needle).hasSize(1);
        return line;
    }

    private MigrationStats migrate(MultiFdConfig config) throws Exception {
        try (MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(listener.localAddress()))
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build()) {
            BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
            BlobClient.declare(sender, plugin);
            sender.connect();
            BlobClient c = new BlobClient(sender, plugin);
            for (int i = 0; i < BLOBS; i++) {
                c.add(i, 1, 1500);
            }
            c.flush();
            MigrationStats sent = sender.finish();
            MigrationStats received = receiver.await(Duration.ofSeconds(30));
            assertThat(received.packets()).isPositive().isEqualTo(sent.packets());
            assertThat(received.rawBytes()).isEqualTo(sent.rawBytes());
            assertThat(sink.applied()).hasSize(BLOBS);
            assertThat(sink.corrupt()).as("blobs whose bytes differ").isZero();
            return received;
        }
    }

    @Test
    void straysAreDroppedOnceEachWhileTheRealMigrationCompletes() throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(3).handshakeTimeout(Duration.ofSeconds(30)).build();
        receiver(config);
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            silent.add(stray());
        }
        Random random = new Random(11);
        List<Socket> others = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Socket s = stray();
            byte[] junk = new byte[64];
            random.nextBytes(junk);
            s.getOutputStream().write(junk);
            others.add(s);
        }
        for (int i = 0; i < 50; i++) {
            Socket s = stray();
            s.close();
            others.add(s);
        }
        for (Socket s : others) {
            droppedOnce(s); // closed, garbage, or beyond the cap of 16 (10 silent ones hold slots)
        }
        // ten silent strays still hold ten of the sixteen slots: the real sender's three fit
        migrate(config);
        for (Socket s : silent) {
            assertThat(s.getInputStream().read()).as("a silent stray is closed once every channel is in").isEqualTo(-1);
            droppedOnce(s);
        }
        for (Socket s : others) {
            droppedOnce(s);
        }
    }

    @Test
    void aConnectionTricklingItsHelloIsDroppedAtTheHandshakeTimeout() throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).handshakeTimeout(Duration.ofSeconds(1)).build();
        receiver(config);
        Socket slow = stray();
        // a byte every 200 ms: each read makes progress well within the timeout, the hello never completes in it
        ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
        try {
            drip.scheduleAtFixedRate(() -> {
                try {
                    slow.getOutputStream().write(0);
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // closed by the receiver: the drip stops
                }
            }, 0, 200, TimeUnit.MILLISECONDS);
            assertThat(droppedOnce(slow)).contains("no complete hello within the handshake timeout 1 s");
            assertThat(slow.getInputStream().read()).as("the receiver closed the trickling connection").isEqualTo(-1);
        } finally {
            drip.shutdownNow();
        }
        migrate(config);
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnceAndTheReceiverGoesOn() throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).maxPendingConnections(2)
                .handshakeTimeout(Duration.ofSeconds(30)).build();
        receiver(config);
        Socket first = stray();
        Socket second = stray();
        Socket third = stray();
        assertThat(third.getInputStream().read()).as("the connection beyond the cap is closed").isEqualTo(-1);
        assertThat(droppedOnce(third)).contains("maxPendingConnections");
        first.close();
        second.close();
        droppedOnce(first);
        droppedOnce(second);
        migrate(config);
    }

    /**
     * A sender arriving while strays fill the cap is closed before any reply: it connects again
     * (within its connect timeout) and completes once a slot is free, instead of failing at once.
     */
    @Test
    void aSenderDroppedBecauseTheCapIsFullConnectsAgain() throws Exception {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).maxPendingConnections(2)
                .handshakeTimeout(Duration.ofSeconds(30)).connectTimeout(Duration.ofSeconds(30)).build();
        receiver(config);
        Socket first = stray();
        Socket second = stray();
        java.util.concurrent.CompletableFuture<MigrationStats> migration = io.multifd.core.testkit.Async.supply(() -> {
            try {
                return migrate(config);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        // the real sender's first connection was closed at once, the cap being full
        logs.awaitLogged(System.Logger.Level.WARNING, "maxPendingConnections", Duration.ofSeconds(20));
        assertThat(migration).isNotDone();
        first.close();
        second.close();
        assertThat(migration.get(60, java.util.concurrent.TimeUnit.SECONDS).packets()).isPositive();
    }
}
