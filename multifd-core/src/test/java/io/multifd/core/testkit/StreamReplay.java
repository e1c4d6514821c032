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
package io.multifd.core.testkit;

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays recorded (or damaged) channel streams into a fresh receiver over the in-memory
 * transport: one raw client per stream, each written by its own thread (a receiving channel may
 * wait at the sync barrier for another one) and then shut down for output, so that a truncated
 * stream ends at once instead of waiting for the I/O timeout. Test code only.
 */
public final class StreamReplay {

    /** What a replay ended with. */
    public sealed interface Outcome permits Completed, Failed {
    }

    /** The receiver reported success. */
    public record Completed() implements Outcome {
    }

    /**
     * The receiver failed.
     *
     * @param cause the migration's first cause
     */
    public record Failed(Throwable cause) implements Outcome {
    }

    private StreamReplay() {
    }

    /**
     * Packs channel streams into one fuzz input: {@code [n-1:u8][length of streams 0..n-2:u32]...}
     * followed by the streams.
     */
    public static byte[] pack(byte[][] streams) {
        int total = 1 + 4 * (streams.length - 1);
        for (byte[] s : streams) {
            total += s.length;
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        b.put((byte) (streams.length - 1));
        for (int i = 0; i < streams.length - 1; i++) {
            b.putInt(streams[i].length);
        }
        for (byte[] s : streams) {
            b.put(s);
        }
        return b.array();
    }

    /**
     * Cuts one fuzz input into at most {@code maxChannels} streams (the inverse of {@link #pack};
     * lengths are clamped to what is left, the last stream takes the rest).
     */
    public static byte[][] cut(byte[] in, int maxChannels) {
        if (in.length == 0) {
            return new byte[][] {new byte[0]};
        }
        int n = 1 + (in[0] & 0xFF) % maxChannels;
        ByteBuffer b = ByteBuffer.wrap(in);
        b.position(1);
        int[] lengths = new int[n];
        for (int i = 0; i < n - 1; i++) {
            lengths[i] = b.remaining() >= 4 ? b.getInt() : 0;
        }
        byte[][] out = new byte[n][];
        for (int i = 0; i < n; i++) {
            int len = i == n - 1 ? b.remaining() : (int) Math.min(Integer.toUnsignedLong(lengths[i]), b.remaining());
            out[i] = new byte[len];
            b.get(out[i]);
        }
        return out;
    }

    /**
     * Replays {@code streams} into a receiver with {@code payloads} registered.
     *
     * @param config   the receiver's configuration
     * @param registry the plug-in registry (codecs)
     * @param payloads the payload plug-ins the receiver applies packets with
     * @param streams  one byte stream per channel
     * @param await    how long the receiver may take to end once every stream was written
     * @return what the receiver ended with
     * @throws AssertionError if the receiver did not end within {@code await} (a hang)
     */
    public static Outcome replay(MultiFdConfig config, PluginRegistry registry, List<PayloadPlugin<?>> payloads,
                                 byte[][] streams, Duration await) throws Exception {
        InMemoryTransport t = InMemoryTransport.create();
        MultiFdReceiver.Builder builder = MultiFdReceiver.builder(config, t.listener()).registry(registry);
        for (PayloadPlugin<?> p : payloads) {
            builder.payload(p);
        }
        List<Thread> writers = new ArrayList<>();
        List<RawClient> clients = new ArrayList<>();
        try (MultiFdReceiver receiver = builder.build().start()) {
            try {
                for (int i = 0; i < streams.length; i++) {
                    RawClient c;
                    try {
                        c = RawClient.connect(t.connector(), i);
                    } catch (IOException e) {
                        break; // the receiver already failed on an earlier stream and closed its listener
                    }
                    clients.add(c);
                    byte[] s = streams[i];
                    Thread w = new Thread(() -> writeAll(c, s), "replay-writer-" + i);
                    w.setDaemon(true);
                    writers.add(w);
                    w.start();
                }
                try {
                    receiver.await(await);
                    return new Completed();
                } catch (ChannelTimeoutException e) {
                    throw new AssertionError("the receiver did not end within " + await.toMillis() + " ms", e);
                } catch (MigrationFailedException e) {
                    return new Failed(e.getCause());
                }
            } finally {
                for (RawClient c : clients) {
                    closeQuietly(c);
                }
            }
        } finally {
            for (Thread w : writers) {
                w.join(5_000);
                if (w.isAlive()) {
                    throw new AssertionError(w.getName() + " still writing 5 s after the receiver closed");
                }
            }
        }
    }

    private static void writeAll(RawClient c, byte[] s) {
        try {
            c.write(s);
            c.shutdownOutput();
        } catch (IOException e) {
            // the receiver closed the channel early: fine
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("writing a replayed stream", e));
        }
    }

    private static void closeQuietly(RawClient c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing a replay client: nothing to do
        }
    }
}
