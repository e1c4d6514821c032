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
package io.multifd.examples.embedding;

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.transport.TcpTransport;
import io.multifd.devicestate.DeviceStatePayload;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The receiving side of a migration, as a program embeds it: it learns the channel count, codec
 * and memory layout from the sender, creates the memory, and collects each device's state.
 */
public final class ReceiverExample {

    private ReceiverExample() {
    }

    /**
     * What arrived.
     *
     * @param stats       the receiver's final statistics
     * @param memory      the blocks, created from the sender's manifest; now owned by the caller
     * @param deviceState each device's state by {@code id/instance}
     */
    public record Received(MigrationStats stats, List<RamBlock> memory, Map<String, byte[]> deviceState) {
    }

    /**
     * Receives one migration.
     *
     * @param listener where to accept the sender's channels, e.g.
     *                 {@code TcpTransport.listen(new InetSocketAddress("0.0.0.0", 5000))}; the
     *                 receiver closes it once every channel is in
     * @return what arrived, once the migration completed
     * @throws IOException if it failed (the sender was told)
     */
    public static Received receive(TcpTransport.Listener listener) throws IOException {
        Collector c = new Collector();
        try (MultiFdReceiver receiver = c.receiver(listener).start()) {
            MigrationStats stats = receiver.await();                  // completed, or throws the first cause
            return c.received(stats);
        }
    }

    /**
     * Receives one migration without blocking the caller: the receiver runs on its own threads
     * and the returned future completes once the migration ended.
     *
     * @param listener where to accept the sender's channels; the receiver closes it once every
     *                 channel is in
     * @return what arrived, or a future failed with the {@link io.multifd.api.MigrationFailedException}
     * that {@link #receive} would throw; cancelling it aborts the migration
     */
    public static CompletableFuture<Received> receiveAsync(TcpTransport.Listener listener) {
        Collector c = new Collector();
        MultiFdReceiver receiver = c.receiver(listener).start();
        return receiver.awaitAsync()                                  // completed by the receiver's own thread
                .whenComplete((stats, error) -> receiver.close())     // everything is released by then
                .thenApply(c::received);
    }

    /** The payload plug-ins of one migration and what they collect. */
    private static final class Collector {
        private final List<RamBlock> memory = Collections.synchronizedList(new ArrayList<>());
        private final Map<String, ByteArrayOutputStream> devices = new ConcurrentHashMap<>();

        MultiFdReceiver receiver(TcpTransport.Listener listener) {
            // blocks made from the manifest, in fresh memory the channel threads populate as pages arrive
            RamPayload ram = RamPayload.receiving(RamDestination.allocatingFresh(memory));
            DeviceStatePayload deviceState = DeviceStatePayload.builder()
                    .loaderFactory((id, instance) -> {                     // one loader per device
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        devices.put(id + "/" + instance, out);
                        return buffer -> {                                 // buffers in order, on the device's thread
                            byte[] b = new byte[buffer.remaining()];
                            buffer.get(b);
                            out.write(b, 0, b.length);
                        };
                    })
                    .build();
            MultiFdConfig limits = MultiFdConfig.builder()
                    .maxChannels(16)                                       // refuse senders asking for more
                    .maxPendingConnections(16)                             // strays handshaken at a time (default)
                    .acceptTimeout(Duration.ofSeconds(60))
                    .build();
            return MultiFdReceiver.builder(limits, listener)
                    .require(ram)                                          // configured instances replace the ones
                    .payload(deviceState)                                  // ServiceLoader finds; a sender without RAM is refused
                    .build();
        }

        Received received(MigrationStats stats) {
            Map<String, byte[]> states = new ConcurrentHashMap<>();
            devices.forEach((k, v) -> states.put(k, v.toByteArray()));
            return new Received(stats, List.copyOf(memory), states);
        }
    }
}
