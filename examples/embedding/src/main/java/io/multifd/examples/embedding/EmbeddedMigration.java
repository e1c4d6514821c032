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
import io.multifd.core.transport.TcpTransport;
import io.multifd.ram.RamBlock;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@link SenderExample} and {@link ReceiverExample} in one JVM over loopback TCP: 64 MiB of memory
 * and a 1 MiB device state, checked byte for byte.
 *
 * <pre>./mvnw -q -pl examples/cli,examples/embedding -am package -DskipTests
 * java -cp examples/cli/target/multifd.jar:examples/embedding/target/classes io.multifd.examples.embedding.EmbeddedMigration</pre>
 */
public final class EmbeddedMigration {

    private EmbeddedMigration() {
    }

    /**
     * What {@link #run} found.
     *
     * @param sent      the sender's statistics
     * @param received  what the receiver got
     * @param memoryMatches true if the received memory equals the sent memory
     * @param deviceMatches true if the received device state equals the sent one
     */
    public record Outcome(MigrationStats sent, ReceiverExample.Received received, boolean memoryMatches,
                          boolean deviceMatches) {
    }

    /**
     * Runs a migration from a seeded memory image and device state.
     *
     * @param bytes memory size
     * @param seed  the seed of the contents
     * @return the outcome
     * @throws IOException if the migration failed
     */
    public static Outcome run(long bytes, long seed) throws IOException {
        RamBlock memory = RamBlock.allocate("pc.ram", bytes);
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] page = new byte[4096];
        for (long off = 0; off < bytes; off += 4096) {
            if (rnd.nextInt(3) > 0) {                           // a third of the pages stay zero
                rnd.nextBytes(page);
                memory.put(off, page, 0, (int) Math.min(4096, bytes - off));
            }
        }
        byte[] deviceState = new byte[1 << 20];
        rnd.nextBytes(deviceState);

        TcpTransport.Listener listener = TcpTransport.listen(new InetSocketAddress("127.0.0.1", 0));
        CompletableFuture<ReceiverExample.Received> receiving = ReceiverExample.receiveAsync(listener);
        MigrationStats sent = SenderExample.send(listener.localAddress(), memory, deviceState);
        ReceiverExample.Received received;
        try {
            received = receiving.join();                        // the receiver ends a moment after the sender
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;                                       // the receiver's MigrationFailedException
            }
            throw e;
        }
        boolean memoryMatches = received.memory().size() == 1
                && sha256(received.memory().get(0)).equals(sha256(memory));
        boolean deviceMatches = Arrays.equals(received.deviceState().get("nic0/0"), deviceState);
        return new Outcome(sent, received, memoryMatches, deviceMatches);
    }

    /**
     * Runs it and prints the outcome.
     *
     * @param args unused
     * @throws IOException if the migration failed
     */
    public static void main(String[] args) throws IOException {
        Outcome o = run(64L << 20, 42);
        System.out.printf("sent %d bytes of memory in %d ms over %d channels (%s); wire %d bytes%n",
                o.sent().rawBytes(), o.sent().elapsed().toMillis(), o.sent().channels(), o.sent().codec(),
                o.sent().wireBytes());
        System.out.println("memory matches: " + o.memoryMatches() + ", device state matches: " + o.deviceMatches());
        System.exit(o.memoryMatches() && o.deviceMatches() ? 0 : 1);
    }

    private static String sha256(RamBlock block) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] b = new byte[1 << 16];
            for (long off = 0; off < block.length(); off += b.length) {
                int n = (int) Math.min(b.length, block.length() - off);
                block.get(off, b, 0, n);
                md.update(b, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
