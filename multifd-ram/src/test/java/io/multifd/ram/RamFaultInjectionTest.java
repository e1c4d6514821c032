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
package io.multifd.ram;

import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.testing.transport.ForwardingTransportChannel;
import io.multifd.core.transport.TcpTransport;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A connection reset in the middle of a RAM migration, on a seeded channel after a seeded number
 * of bytes, with 1, 4 or 16 channels over TCP: both sides fail within 5 s (with the default 30 s
 * I/O timeout, so not by timing out), the source memory is unchanged (the library never writes
 * it), no {@code multifd-} thread survives, and a new migration of the same source then
 * succeeds byte-exact. Failures print the seed.
 */
@Timeout(120)
class RamFaultInjectionTest {

    static final long IMAGE = 16L << 20;

    /**
     * Closes one channel's connection at its {@code cutAfter}-th write call: the first is the
     * hello (and on channel 0 the second the manifest); every channel later writes at least its
     * SYNC and its EOS, so those calls always happen, whatever share of the data packets the
     * channel got.
     */
    static final class Cutting implements TransportConnector {
        final TransportConnector inner;
        final int channel;
        final long cutAfter;
        final AtomicLong cutAt = new AtomicLong();

        Cutting(TransportConnector inner, int channel, long cutAfter) {
            this.inner = inner;
            this.channel = channel;
            this.cutAfter = cutAfter;
        }

        @Override
        public TransportChannel connect(int channelId, Duration timeout) throws IOException {
            TransportChannel c = inner.connect(channelId, timeout);
            if (channelId != channel) {
                return c;
            }
            return new ForwardingTransportChannel(c) {
                private long calls;

                private void maybeCut() throws IOException {
                    if (++calls == cutAfter) {
                        cutAt.set(System.nanoTime());
                        delegate.close(); // the peer sees the connection end, as after a reset or a dead host
                    }
                }

                @Override
                public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
                    maybeCut();
                    return delegate.write(srcs, offset, length);
                }

                @Override
                public int write(ByteBuffer src) throws IOException {
                    maybeCut();
                    return delegate.write(src);
                }
            };
        }

        @Override
        public String description() {
            return "cutting " + inner.description();
        }
    }

    private static MultiFdConfig config(int channels) {
        return MultiFdConfig.builder().channels(channels).build(); // default 30 s I/O timeout
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void aResetMidTransferFailsBothSidesAndLeavesTheSourceUntouched(long seed, CapturedLogs logs) throws Exception {
        SplittableRandom r = new SplittableRandom(seed);
        int channels = new int[] {1, 4, 16}[(int) (seed % 3)];
        RamBlock src = RamBlock.allocate("pc.ram", IMAGE);
        Images.fillMixed(src, seed);
        String before = Images.sha256(src);

        // the cut comes at the victim's first or second write after its hello: a data packet, or
        // its SYNC if the other channels took every data packet
        int victim = r.nextInt(channels);
        long cutAfter = (victim == 0 ? 3 : 2) + r.nextInt(2); // channel 0 also writes the manifest
        RamBlock dst = RamBlock.allocate("pc.ram", IMAGE);
        Throwable receiverFailure;
        TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        Cutting connector = new Cutting(TcpTransport.connector(listener.localAddress()), victim, cutAfter);
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config(channels), listener)
                .registry(PluginRegistry.builder().add(RamPayload.receiving(RamDestination.of(dst))).build())
                .build().start();
             MultiFdSender sender = MultiFdSender.builder(config(channels), connector)
                     .registry(PluginRegistry.builder().add(RamPayload.sending()).build()).build()) {
            RamSaver saver = RamSaver.open(sender, List.of(src));
            sender.connect();
            assertThatThrownBy(() -> {
                saver.saveAll();
                sender.finish();
            }).as("seed %d: the sender must fail", seed).isInstanceOf(MigrationFailedException.class);
            assertThatThrownBy(() -> receiver.await(Duration.ofSeconds(10)))
                    .as("seed %d: the receiver must fail", seed).isInstanceOf(MigrationFailedException.class);
            receiverFailure = catchThrowable(() -> receiver.await(Duration.ofSeconds(10))).getCause();
            long cut = connector.cutAt.get();
            assertThat(cut).as("seed %d: the cut happened", seed).isNotZero();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cut))
                    .as("seed %d: ms from the cut until both sides failed", seed).isLessThan(5000);
        }
        assertThat(Images.sha256(src)).as("seed %d: source memory after a failed migration", seed).isEqualTo(before);
        assertThat(awaitNoThreads()).as("seed %d: multifd threads alive", seed).isEmpty();
        // the receiver's failure, as its await() reports it, is in the log
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: " + receiverFailure.getMessage(), Duration.ofSeconds(10));

        // the same source migrates again, now without faults
        RamBlock dst2 = RamBlock.allocate("pc.ram", IMAGE);
        Migrations.migrate(Migrations.Kind.TCP, seed, channels, List.of(src), RamPayload.receiving(RamDestination.of(dst2)),
                io.multifd.api.MigrationListener.NONE, RamSaver::saveAll);
        assertThat(Images.firstMismatches(src, dst2)).as("seed %d", seed).isEmpty();
    }

    private static List<String> awaitNoThreads() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            List<String> alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                    .map(Thread::getName).filter(n -> n.startsWith("multifd-")).sorted().toList();
            if (alive.isEmpty() || System.nanoTime() > deadline) {
                return alive;
            }
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("multifd-")) {
                    t.join(50);
                }
            }
        }
    }
}
