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
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.testkit.Async;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.testing.BlobClient;
import io.multifd.testing.BlobPayload;
import io.multifd.testing.BlobSink;
import io.multifd.testing.leaks.NoLeaksExtension;
import io.multifd.testing.transport.FaultLink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The setup and teardown race campaign of the normal test run: 1,000 seeded runs, each one of a
 * channel failing to connect, a connection reset during the handshake (either side), the
 * sender's {@code cancel()} at a random moment of {@code connect()}, or either side closed at a
 * random moment while packets flow. Every run must end (each step is bounded; a run that does not
 * end within 20 s is reported as a deadlock with its seed and the library's thread stacks),
 * leave no {@code multifd-} thread and no open connection, and never let the receiver report
 * success when the sender did not.
 *
 * <p>{@code -Dmultifd.raceRuns=N} and {@code -Dmultifd.raceSeed=S} change the count and the
 * first seed.
 */
@Timeout(900)
@ExtendWith(NoLeaksExtension.class)
class SetupRaceCampaignTest {

    private enum Race { FAIL_AT_CONNECT, FAIL_AT_HANDSHAKE, CANCEL_WHILE_CONNECTING, CLOSE_MID_PACKET }

    @Test
    void aThousandSetupAndTeardownRaces() throws Exception {
        int runs = Integer.getInteger("multifd.raceRuns", 1000);
        long first = Long.getLong("multifd.raceSeed", 4711);
        ExecutorService ex = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "race-run");
            t.setDaemon(true);
            return t;
        });
        int[] count = new int[Race.values().length];
        long[] millis = new long[Race.values().length];
        try {
            for (int i = 0; i < runs; i++) {
                long seed = first + i;
                Race race = Race.values()[i % Race.values().length];
                count[race.ordinal()]++;
                long t0 = System.nanoTime();
                Future<?> f = ex.submit(() -> {
                    run(seed, race);
                    return null;
                });
                try {
                    f.get(20, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new AssertionError("seed " + seed + " (" + race + "): deadlock, the run did not end in 20 s;"
                            + " threads:\n" + dump());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError("seed " + seed + " (" + race + "): " + e.getCause(), e.getCause());
                }
                millis[race.ordinal()] += TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            }
        } finally {
            ex.shutdownNow();
        }
        System.out.printf(Locale.ROOT, "race campaign, seeds %d..%d: runs %s, ms %s (%s)%n", first, first + runs - 1,
                java.util.Arrays.toString(count), java.util.Arrays.toString(millis), java.util.Arrays.toString(Race.values()));
    }

    private static String dump() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("multifd-") || e.getKey().getName().startsWith("race-"))
                .map(e -> e.getKey().getName() + " " + e.getKey().getState() + "\n    "
                        + java.util.Arrays.stream(e.getValue()).limit(12).map(String::valueOf)
                        .collect(Collectors.joining("\n    ")))
                .collect(Collectors.joining("\n"));
    }

    /** A connector whose channel {@code victim} cannot connect. */
    private static TransportConnector refusing(TransportConnector inner, int victim) {
        return new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                if (channelId == victim) {
                    throw new ConnectException("connection refused (injected) for channel " + channelId);
                }
                return inner.connect(channelId, timeout);
            }

            @Override
            public String description() {
                return "refusing " + inner.description();
            }
        };
    }

    private void run(long seed, Race race) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        int channels = new int[] {1, 2, 4}[r.nextInt(3)];
        int victim = r.nextInt(channels);
        String what = "seed " + seed + " (" + race + ", " + channels + " channels, victim " + victim + ")";
        FaultLink link = switch (race) {
            case FAIL_AT_HANDSHAKE -> new FaultLink(new FaultLink.Fault(r.nextBoolean() ? FaultLink.Side.SENDER
                    : FaultLink.Side.RECEIVER, victim, r.nextInt(44), FaultLink.Kind.RESET));
            default -> new FaultLink(null);
        };
        InMemoryTransport t = InMemoryTransport.create();
        TransportConnector connector = race == Race.FAIL_AT_CONNECT ? refusing(t.connector(), victim) : t.connector();
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).ioTimeout(Duration.ofMillis(100))
                .handshakeTimeout(Duration.ofSeconds(5)).acceptTimeout(Duration.ofSeconds(5)).build();
        BlobSink sink = new BlobSink();
        MultiFdReceiver receiver = MultiFdReceiver.builder(config, link.listener(t.listener()))
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload(sink)).build().start();
        MultiFdSender sender = MultiFdSender.builder(config, link.connector(connector))
                .registry(PluginRegistry.builder().build()).payload(new BlobPayload()).build();
        BlobPayload plugin = sender.payload(BlobPayload.class).orElseThrow();
        BlobClient.declare(sender, plugin);
        Throwable sent;
        AtomicBoolean stop = new AtomicBoolean();
        try {
            switch (race) {
                case FAIL_AT_CONNECT, FAIL_AT_HANDSHAKE -> {
                    sent = catchThrowable(() -> {
                        sender.connect();
                        sendSome(new BlobClient(sender, plugin), 3);
                        sender.finish();
                    });
                    if (race == Race.FAIL_AT_CONNECT) {
                        assertThat(sent).as(what).isInstanceOf(MigrationFailedException.class);
                    }
                }
                case CANCEL_WHILE_CONNECTING -> {
                    CompletableFuture<Void> connecting = Async.run(() -> {
                        try {
                            sender.connect();
                        } catch (IOException e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
                    LockSupport.parkNanos(r.nextLong(TimeUnit.MILLISECONDS.toNanos(3)));
                    sender.cancel();
                    sent = catchThrowable(() -> {
                        connecting.get(10, TimeUnit.SECONDS);
                        sender.finish();
                    });
                    assertThat(sent).as("%s: a cancelled sender never succeeds", what).isNotNull();
                }
                default -> {
                    sender.connect();
                    CompletableFuture<Throwable> streaming = Async.supply(() -> catchThrowable(() -> {
                        BlobClient c = new BlobClient(sender, plugin);
                        for (long i = 0; !stop.get(); i++) {
                            c.add(i, 1, 1000 + (int) (i % 3000));
                        }
                    }));
                    LockSupport.parkNanos(r.nextLong(TimeUnit.MILLISECONDS.toNanos(5)));
                    if (r.nextBoolean()) {
                        sender.close();
                    } else {
                        receiver.close();
                    }
                    sent = streaming.get(10, TimeUnit.SECONDS);
                    assertThat(sent).as("%s: the client's send() fails once a side is closed", what)
                            .isInstanceOf(MigrationFailedException.class);
                }
            }
            if (sent != null && race != Race.CLOSE_MID_PACKET) {
                // A receiver that never saw the session would wait for the accept timeout: its owner
                // gives up on it, as a product would after the sender reported its failure.
                receiver.close();
            }
            Throwable received = catchThrowable(() -> receiver.await(Duration.ofSeconds(10)));
            if (received == null) {
                assertThat(sent).as("%s: the receiver succeeded, so must the sender", what).isNull();
                assertThat(sink.corrupt()).isZero();
            }
        } finally {
            stop.set(true);
            sender.close();
            receiver.close();
        }
        assertThat(Threads.awaitNone(5)).as("%s: multifd threads alive", what).isEmpty();
        assertThat(link.open()).as("%s: connections left open", what).isEmpty();
    }

    private static void sendSome(BlobClient c, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            c.add(i, 1, 500);
        }
        c.flush();
    }
}
