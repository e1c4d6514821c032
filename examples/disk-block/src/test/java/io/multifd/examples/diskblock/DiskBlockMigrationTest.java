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
package io.multifd.examples.diskblock;

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.PayloadStats;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.TcpTransport;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;
import io.multifd.testing.Hashes;
import io.multifd.testing.logging.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The disk-block plug-in migrates alongside RAM through the real core over TCP loopback, found by
 * ServiceLoader on the sender, and both arrive byte-exact.
 */
@Timeout(60)
class DiskBlockMigrationTest {

    private static final long SEED = 300;

    @Test
    void discoveryFindsThePlugInWithoutTouchingCore() {
        PluginRegistry registry = PluginRegistry.discover();
        assertThat(registry.payload(DiskBlockPayload.NAME)).get().isInstanceOf(DiskBlockPayload.class);
        assertThat(registry.payload(DiskBlockPayload.ID)).get().isInstanceOf(DiskBlockPayload.class);
        assertThat(registry.payload(RamPayload.NAME)).isPresent(); // and the built-in one beside it
    }

    @Test
    void disksAndRamMigrateTogetherByteExact() throws Exception {
        SplittableRandom rnd = new SplittableRandom(SEED);
        VirtualDisk source = new VirtualDisk("vda", 4096, 2048);        // 8 MiB disk
        byte[] block = new byte[source.blockSize()];
        for (long lba = 0; lba < source.blockCount(); lba++) {
            if (rnd.nextInt(4) != 0) {                                 // a quarter stays zero
                rnd.nextBytes(block);
                source.write(lba, block);
            }
        }
        RamBlock ram = RamBlock.allocate("pc.ram", (16 << 20) + 1234); // odd size: a partial last page
        byte[] page = new byte[4096];
        for (long off = 0; off < ram.length(); off += 4096 * 3) {
            rnd.nextBytes(page);
            ram.put(off, page, 0, (int) Math.min(4096, ram.length() - off));
        }

        VirtualDisk destination = new VirtualDisk("vda", 4096, 2048);
        RamBlock ramDestination = RamBlock.allocate("pc.ram", ram.length());
        MultiFdConfig config = MultiFdConfig.builder().channels(4).build();
        TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        PluginRegistry receiving = PluginRegistry.builder().discover()
                .add(DiskBlockPayload.receivingInto(destination))
                .add(RamPayload.receiving(RamDestination.of(ramDestination)))
                .build();
        MigrationStats sent;
        MigrationStats received;
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener).registry(receiving).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(listener.localAddress()))
                     .build()) {                                        // sender: plain discovery
            DiskBlockSaver disk = DiskBlockSaver.open(sender, source);
            RamSaver ramSaver = RamSaver.open(sender, ram);
            sender.connect();
            Thread diskThread = new Thread(() -> {                      // both clients at once
                try {
                    disk.sendAll();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            diskThread.start();
            ramSaver.saveAll();
            diskThread.join();
            // blocks written after they were sent go again, in a later epoch
            for (long lba = 0; lba < source.blockCount(); lba += 97) {
                rnd.nextBytes(block);
                source.write(lba, block);
                disk.sendBlock(lba);
            }
            disk.sync();
            sent = sender.finish();
            received = receiver.await(Duration.ofSeconds(30));
        }
        assertThat(sha256(destination)).as("disk, seed %d", SEED).isEqualTo(sha256(source));
        assertThat(sha256(ramDestination)).as("ram, seed %d", SEED).isEqualTo(sha256(ram));
        long resent = (source.blockCount() + 96) / 97;
        PayloadStats disks = received.payload(DiskBlockPayload.NAME).orElseThrow();
        assertThat(disks.items()).isEqualTo(source.blockCount() + resent);
        assertThat(sent.payload(DiskBlockPayload.NAME).orElseThrow().items()).isEqualTo(disks.items());
        assertThat(received.payload(RamPayload.NAME)).isPresent();
    }

    static String sha256(VirtualDisk disk) {
        return DiskBlockContractTest.hash(disk);
    }

    static String sha256(RamBlock block) {
        return Hashes.sha256(block.length(), block::get);
    }

    @Test
    void aReceiverWithAnotherDiskRefusesTheManifestNamingTheField(CapturedLogs logs) throws Exception {
        VirtualDisk source = new VirtualDisk("vda", 4096, 16);
        VirtualDisk smaller = new VirtualDisk("vda", 4096, 8);
        MultiFdConfig config = MultiFdConfig.builder().channels(1).build();
        TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        PluginRegistry receiving = PluginRegistry.builder().discover().add(DiskBlockPayload.receivingInto(smaller)).build();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener).registry(receiving).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, TcpTransport.connector(listener.localAddress()))
                     .build()) {
            DiskBlockSaver.open(sender, source);
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(sender::connect);
            assertThat(refused).hasMessageContaining("field 'disk-block.setup.blockCount' = 16: the destination disk has 8 blocks");
            Throwable rx = org.assertj.core.api.Assertions.catchThrowable(() -> receiver.await(Duration.ofSeconds(10)));
            assertThat(rx).hasMessageContaining("disk-block.setup.blockCount");
        }
        logs.awaitLogged(System.Logger.Level.WARNING, "failed: the receiver refused the manifest: disk-block: setup record: "
                + "field 'disk-block.setup.blockCount' = 16: the destination disk has 8 blocks", Duration.ofSeconds(10));
    }
}
