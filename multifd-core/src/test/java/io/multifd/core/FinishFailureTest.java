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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MigrationListener;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.RemoteFailureException;
import io.multifd.core.testkit.FaultyTransport;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.wire.Wire;
import io.multifd.testing.BlobClient;
import org.junit.jupiter.api.AfterEach;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code finish()} never reports success when the receiver did not apply everything: a handler
 * that throws on the last packet, a dropped EOS and a lost COMPLETED each fail both sides, with
 * the cause named on both.
 */
@Timeout(60)
class FinishFailureTest {

    private static final int BLOBS = 200;

    private final MultiFdConfig config = MultiFdConfig.builder().channels(3)
            .ioTimeout(Duration.ofMillis(800)).finishTimeout(Duration.ofMillis(1500)).build();

    @AfterEach
    void threadsEnded() throws InterruptedException {
        assertThat(Threads.awaitNone(5)).as("multifd threads alive after the test").isEmpty();
    }

    private static void sendAll(Harness h) throws IOException {
        BlobClient c = h.client();
        for (int i = 0; i < BLOBS; i++) {
            c.add(i, 1, 500);
        }
        c.flush();
    }

    @Test
    void aHandlerThatThrowsOnTheLastPacketFailsBothSides(CapturedLogs logs) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        try (Harness h = Harness.connect(config, t.listener(), t.connector())) {
            h.sink.failTrigger((channel, ids, count) -> {
                for (int i = 0; i < count; i++) {
                    if (ids[i] == BLOBS - 1) {
                        throw new IOException("test handler refuses blob " + ids[i]);
                    }
                }
            });
            sendAll(h);
            assertThatThrownBy(h.sender::finish)
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("test handler refuses blob 199")
                    .hasRootCauseInstanceOf(RemoteFailureException.class);
            assertThatThrownBy(h.receiver::await)
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("test handler refuses blob 199")
                    .cause().isInstanceOf(IOException.class);
            assertThat(h.sink.abortedWith()).hasMessageContaining("test handler refuses blob 199");
        }
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: the receiver failed: test handler refuses blob 199", Duration.ofSeconds(10));
    }

    @Test
    void aDroppedEosFailsBothSides(CapturedLogs logs) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        FaultyTransport.Connector connector = new FaultyTransport.Connector(t.connector(),
                p -> p.channel() == 1 && p.typeId() == 0 && p.flags() == Wire.FLAG_EOS);
        try (Harness h = Harness.connect(config, t.listener(), connector)) {
            sendAll(h);
            assertThatThrownBy(h.sender::finish)
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("channel 1")
                    .hasMessageContaining("no progress");
            assertThatThrownBy(h.receiver::await)
                    .isInstanceOf(MigrationFailedException.class)
                    .cause().isInstanceOf(ChannelTimeoutException.class)
                    .hasMessageContaining("channel 1").hasMessageContaining("reading packet header");
        }
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: channel 1: no progress", Duration.ofSeconds(10));
    }

    @Test
    void aLostCompletedFailsBothSides(CapturedLogs logs) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        FaultyTransport.Listener listener = new FaultyTransport.Listener(t.listener(),
                (connection, kind) -> connection == 2 && kind == Wire.REPLY_COMPLETED);
        CompletableFuture<Throwable> told = new CompletableFuture<>();
        try (Harness h = Harness.connect(config, listener, t.connector(), b -> b.listener(failedInto(told)),
                MigrationListener.NONE)) {
            sendAll(h);
            assertThatThrownBy(h.sender::finish)
                    .isInstanceOf(MigrationFailedException.class)
                    .hasMessageContaining("did not confirm completion")
                    .cause().isInstanceOf(ChannelTimeoutException.class);
            assertThatThrownBy(h.receiver::await)
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> assertThat(e.outcomeUnknown())
                            .as("the sender said it failed: the outcome is known").isFalse())
                    .hasMessageContaining("the sender aborted")
                    .hasMessageContaining("did not confirm completion")
                    .cause().isInstanceOf(RemoteFailureException.class);
            assertThat(told).succeedsWithin(Duration.ofSeconds(5))
                    .as("a known outcome reaches the listener as the first cause itself")
                    .isInstanceOf(RemoteFailureException.class);
        }
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: the sender aborted: ", Duration.ofSeconds(10));
        logs.awaitLogged(System.Logger.Level.WARNING, "did not confirm completion", Duration.ofSeconds(10));
    }

    @Test
    void aLostCommitFailsTheReceiverWhichNeverReportsSuccess(CapturedLogs logs) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        FaultyTransport.Connector connector = new FaultyTransport.Connector(t.connector(),
                p -> p.channel() == 0 && p.typeId() == 0 && p.flags() == Wire.FLAG_COMMIT);
        CompletableFuture<Throwable> told = new CompletableFuture<>();
        try (Harness h = Harness.connect(config, t.listener(), connector, b -> b.listener(failedInto(told)),
                MigrationListener.NONE)) {
            sendAll(h);
            h.sender.finish(); // the sender saw COMPLETED everywhere: its commit point
            assertThatThrownBy(h.receiver::await)
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> assertThat(e.outcomeUnknown())
                            .as("the sender may have completed").isTrue())
                    .hasMessageContaining("outcome unknown")
                    .hasMessageContaining("channel 0");
            assertThat(told).succeedsWithin(Duration.ofSeconds(5))
                    .as("the listener hears the same flag as await()")
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> assertThat(e.outcomeUnknown()).isTrue());
            assertThat(h.receiver.awaitAsync()).failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .havingCause().isInstanceOfSatisfying(MigrationFailedException.class,
                            e -> assertThat(e.outcomeUnknown()).isTrue());
        }
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: channel 0: ", Duration.ofSeconds(10));
    }

    @Test
    void aReceiverClosedAfterTheSendersCommitPointReportsTheOutcomeUnknown() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        FaultyTransport.Connector connector = new FaultyTransport.Connector(t.connector(),
                p -> p.typeId() == 0 && p.flags() == Wire.FLAG_COMMIT);
        try (Harness h = Harness.connect(config, t.listener(), connector)) {
            sendAll(h);
            h.sender.finish(); // succeeded: the destination product must not throw its copy away
            h.receiver.close(); // no COMMIT arrives; the sender closed its channels after its commit point
            assertThatThrownBy(h.receiver::await)
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> assertThat(e.outcomeUnknown())
                            .as("closed after it reported completion").isTrue())
                    .hasMessageContaining("outcome unknown"); // the sender's close, or this one, came first
            assertThat(h.sink.applied()).as("every blob was applied").hasSize(BLOBS);
        }
    }

    @Test
    void aFailureBeforeCompletedIsNotAnUnknownOutcome() throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        try (Harness h = Harness.connect(config, t.listener(), t.connector())) {
            sendAll(h);
            h.receiver.cancel();
            assertThatThrownBy(h.sender::finish).isInstanceOf(MigrationFailedException.class);
            assertThatThrownBy(h.receiver::await)
                    .isInstanceOfSatisfying(MigrationFailedException.class, e -> assertThat(e.outcomeUnknown())
                            .isFalse())
                    .hasMessageNotContaining("outcome unknown");
        }
    }

    /** A receiver listener that hands its {@code onFailed} argument to {@code told}. */
    private static MigrationListener failedInto(CompletableFuture<Throwable> told) {
        return new MigrationListener() {
            @Override
            public void onFailed(Throwable cause) {
                told.complete(cause);
            }
        };
    }
}
