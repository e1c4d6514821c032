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
import io.multifd.core.MultiFdSender;
import io.multifd.core.transport.TcpTransport;
import io.multifd.devicestate.DeviceStateSaver;
import io.multifd.ram.DirtyBitmap;
import io.multifd.ram.PreCopy;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamSaver;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The sending side of a migration, as a program embeds it. Each method but
 * {@link #sendAsync} runs on the calling thread and returns once the receiver confirmed that it
 * applied everything (or throws).
 */
public final class SenderExample {

    private SenderExample() {
    }

    /**
     * Migrates a block of memory and one device's state, the memory not changing meanwhile.
     *
     * @param receiver    where the receiver listens
     * @param memory      the memory to send; the caller keeps owning it (the library only reads it)
     * @param deviceState a device's state; copied while it is sent
     * @return the sender's final statistics
     * @throws IOException if the migration failed (the receiver was told)
     */
    public static MigrationStats send(InetSocketAddress receiver, RamBlock memory, byte[] deviceState)
            throws IOException {
        MultiFdConfig config = MultiFdConfig.builder()
                .channels(4)                                    // 4 TCP connections
                .codec("zstd")                            // or none, lz4, zlib
                .build();
        try (MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(receiver)).build()) {
            RamSaver ram = RamSaver.open(sender, List.of(memory));      // clients declare before connect()
            DeviceStateSaver devices = DeviceStateSaver.open(sender);
            sender.connect();                                           // channels, hellos, manifest
            devices.save("nic0", 0, deviceState);                       // any thread, beside RAM
            ram.saveAll();                                              // every page, then a sync
            return sender.finish();                                     // confirmed by the receiver
        }                                                               // close(): aborts unless finished
    }

    /**
     * Migrates a block of memory that does not change meanwhile, and returns once every page was
     * handed to a channel: the end of the migration (waiting for the receiver's confirmation)
     * runs on a library thread, and the returned future completes with the final statistics, or
     * fails with the {@link io.multifd.api.MigrationFailedException} that {@code finish()} would
     * throw. Cancelling the future aborts the migration.
     *
     * @param receiver where the receiver listens
     * @param memory   the memory to send; the caller keeps owning it and must not change it
     *                 until the future completed
     * @return the future of the sender's final statistics
     * @throws IOException if connecting or sending failed (the receiver was told)
     */
    public static CompletableFuture<MigrationStats> sendAsync(InetSocketAddress receiver, RamBlock memory)
            throws IOException {
        MultiFdConfig config = MultiFdConfig.builder().channels(4).build();
        MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(receiver)).build();
        try {
            RamSaver ram = RamSaver.open(sender, List.of(memory));
            sender.connect();
            ram.saveAll();                                              // every page handed over, then a sync
        } catch (IOException | RuntimeException e) {
            sender.close();                                             // aborts: the receiver is told
            throw e;
        }
        return sender.finishAsync()                                     // finish() on a library thread
                .whenComplete((stats, error) -> sender.close());        // failed: as finish() would throw
    }

    /**
     * Migrates memory that the program keeps writing: pre-copy rounds resend what was written
     * meanwhile until little is left; then {@code pauseWriters} stops the program's writers and
     * the final round sends the rest.
     *
     * @param receiver     where the receiver listens
     * @param memory       the memory; the program's writers mark each page in {@code dirty} after
     *                     writing it
     * @param dirty        the dirty bitmap of {@code memory}
     * @param pauseWriters stops the writers and returns once they stopped
     * @return the sender's final statistics
     * @throws IOException if the migration failed
     */
    public static MigrationStats sendWhileRunning(InetSocketAddress receiver, RamBlock memory, DirtyBitmap dirty,
                                                  Runnable pauseWriters) throws IOException {
        MultiFdConfig config = MultiFdConfig.builder().channels(2).build();
        try (MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(receiver)).build()) {
            RamSaver ram = RamSaver.open(sender, List.of(memory));
            sender.connect();
            PreCopy.builder(ram, List.of(dirty))
                    .pause((converged, dirtyPages, estimatedDowntime) -> pauseWriters.run())
                    .build()
                    .run();                                             // round 1, 2, ... and the final one
            return sender.finish();
        }
    }
}
