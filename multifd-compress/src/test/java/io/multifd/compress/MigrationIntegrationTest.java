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
package io.multifd.compress;

import io.multifd.api.CodecOptions;
import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.SendData;
import io.multifd.api.spi.Codec;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.tls.TlsConfig;
import io.multifd.core.transport.tls.TlsTransport;
import io.multifd.testing.BlobRangesPayload;
import io.multifd.testing.PageData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Migrates a few MiB of mixed blobs through the real core, {@code MultiFdSender} to
 * {@code MultiFdReceiver}, with each codec, over the in-memory transport, TCP loopback and mutual
 * TLS over TCP loopback (test identities pinned both ways), with 1 and 4 channels; the receiver's bytes must hash like the sender's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MigrationIntegrationTest {

    private static final int BLOB = 6 << 20;

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (String codec : new String[]{"zstd", "lz4", "zlib"}) {
            for (String transport : new String[]{"memory", "tcp", "tls"}) {
                for (int channels : new int[]{1, 4}) {
                    a.add(Arguments.of(codec, transport, channels));
                }
            }
        }
        return a.stream();
    }

    static Codec codec(String name) {
        return switch (name) {
            case "zstd" -> new ZstdCodec();
            case "lz4" -> new Lz4Codec();
            default -> new ZlibCodec();
        };
    }

    /** A test identity {@code me} (PEM files under {@code tls/}) that pins {@code peer}'s certificate. */
    static TlsConfig tls(String me, String peer) throws Exception {
        return TlsConfig.builder().identityPem(resource(me + ".crt"), resource(me + ".key"))
                .trustPem(resource(peer + ".crt")).build();
    }

    static Path resource(String name) throws Exception {
        return Path.of(MigrationIntegrationTest.class.getResource("/tls/" + name).toURI());
    }

    /** Zero, text and random pages, then a tail that is not a whole page. */
    static ByteBuffer blob(long seed) {
        byte[] b = PageData.mixed(BLOB / PageData.PAGE, seed);
        ByteBuffer buf = ByteBuffer.allocateDirect(BLOB + 1234);
        buf.put(b).put(PageData.text(1, seed), 0, 1234).flip();
        return buf;
    }

    static String sha256(ByteBuffer b) throws NoSuchAlgorithmException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b.duplicate().clear());
        return HexFormat.of().formatHex(md.digest());
    }

    @ParameterizedTest(name = "{0} over {1}, {2} channel(s)")
    @MethodSource("cases")
    void migratesMixedBlobsByteExact(String codec, String transport, int channels) throws Exception {
        long seed = codec.hashCode() * 31L + transport.hashCode() + channels;
        ByteBuffer source = blob(seed);
        MultiFdConfig config = MultiFdConfig.builder()
                .channels(channels)
                .codec(codec, codec.equals("zstd") ? CodecOptions.level(3) : CodecOptions.NONE)
                .maxPacketDataLength(1 << 20)
                .ioTimeout(Duration.ofSeconds(20))
                .build();
        TransportListener listener;
        TransportConnector connector;
        if (transport.equals("tcp")) {
            TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener = l;
            connector = TcpTransport.connector(l.localAddress());
        } else if (transport.equals("tls")) {
            TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener = TlsTransport.listener(l, tls("receiver", "sender"));
            connector = TlsTransport.tcpConnector(l.localAddress(), tls("sender", "receiver"));
        } else {
            InMemoryTransport t = InMemoryTransport.create();
            listener = t.listener();
            connector = t.connector();
        }
        BlobRangesPayload receiving = BlobRangesPayload.receiver();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener)
                .registry(PluginRegistry.builder().build())
                .codec(codec(codec))
                .payload(receiving)
                .build().start();
             MultiFdSender sender = MultiFdSender.builder(config, connector)
                     .registry(PluginRegistry.builder().build())
                     .codec(codec(codec))
                     .payload(BlobRangesPayload.sender(source))
                     .build()) {
            BlobRangesPayload plugin = sender.payload(BlobRangesPayload.class).orElseThrow();
            sender.declare(plugin, BlobRangesPayload.setupRecord(source.capacity()));
            sender.connect();
            SplittableRandom r = new SplittableRandom(seed);
            SendData slot = sender.newSlot();
            int at = 0;
            int packets = 0;
            while (at < source.capacity()) {
                // ranges of 1 byte to 1 MiB: single pages, 512 KiB batches, odd sizes
                int len = switch (r.nextInt(4)) {
                    case 0 -> 1 + r.nextInt(PageData.PAGE);
                    case 1 -> 512 << 10;
                    case 2 -> 1 << 20;
                    default -> 1 + r.nextInt(1 << 20);
                };
                len = Math.min(len, source.capacity() - at);
                slot.fill(plugin).set(at, len);
                slot = sender.send(slot);
                at += len;
                packets++;
                if (packets % 7 == 0) {
                    sender.sync();
                }
            }
            MigrationStats sent;
            try {
                sent = sender.finish();
            } catch (IOException e) {
                try {
                    receiver.await(Duration.ofSeconds(10));
                } catch (IOException receiverSide) {
                    e.addSuppressed(receiverSide); // the receiver's side of the story
                }
                throw e;
            }
            MigrationStats received = receiver.await(Duration.ofSeconds(60));
            assertThat(sha256(receiving.destination())).as("seed %d", seed).isEqualTo(sha256(source));
            assertThat(sent.codec()).isEqualTo(codec);
            assertThat(received.rawBytes()).isEqualTo(source.capacity());
            assertThat(sent.packets()).isEqualTo(packets);
            // a third of the pages are random and travel raw; the rest compresses well
            assertThat(sent.wireBytes()).as("wire bytes with %s", codec).isLessThan(source.capacity() * 9L / 10);
        }
        // closing both ends ends their threads (and with them the codecs' native contexts)
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("multifd-")) {
                t.join(5_000);
                assertThat(t.isAlive()).as("thread %s ended", t.getName()).isFalse();
            }
        }
    }

    @Test
    void theCoreDiscoversTheThreeCodecs() {
        PluginRegistry registry = PluginRegistry.discover();
        assertThat(registry.codec("zstd")).get().extracting(Codec::id).isEqualTo(1);
        assertThat(registry.codec("lz4")).get().extracting(Codec::id).isEqualTo(2);
        assertThat(registry.codec("zlib")).get().extracting(Codec::id).isEqualTo(3);
        assertThat(registry.codec(2)).get().isInstanceOf(Lz4Codec.class);
    }
}
