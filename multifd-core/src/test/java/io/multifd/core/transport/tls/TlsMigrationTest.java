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
package io.multifd.core.transport.tls;

import io.multifd.api.MigrationStats;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.testkit.Harness;
import io.multifd.core.testkit.Threads;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.UnixTransport;
import io.multifd.testing.BlobClient;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Migrations over mutual TLS arrive byte-exact over TCP and Unix sockets, with EC and RSA
 * identities pinned in each other's trust files; the channels negotiate TLS 1.3 and each end
 * sees the other's certificate; every thread ends. The identities are the committed test
 * fixtures ({@link TlsFixtures}).
 */
@Timeout(120)
class TlsMigrationTest {

    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0}, sender key {1}, {2} channels")
    @CsvSource({"TCP, EC, 2", "UNIX, EC, 2", "TCP, RSA, 4"})
    void migratesByteExact(String kind, String senderKey, int channels) throws Exception {
        String me = senderKey.equals("RSA") ? "sender-rsa" : "sender";
        TlsConfig senderTls = TlsFixtures.config(dir, me, "receiver").build();
        TlsConfig receiverTls = TlsFixtures.config(dir, "receiver", me).build();
        TransportListener listener;
        TransportConnector connector;
        Path sock = null;
        if (kind.equals("TCP")) {
            TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener = TlsTransport.listener(l, receiverTls);
            connector = TlsTransport.tcpConnector(l.localAddress(), senderTls);
        } else {
            sock = Files.createTempDirectory(dir, "unix").resolve("s.sock");
            listener = TlsTransport.listener(UnixTransport.listen(sock), receiverTls);
            connector = TlsTransport.unixConnector(sock, senderTls);
        }
        List<TlsChannel> opened = new CopyOnWriteArrayList<>();
        TransportConnector recording = new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws java.io.IOException {
                TransportChannel c = connector.connect(channelId, timeout);
                opened.add((TlsChannel) c);
                return c;
            }

            @Override
            public String description() {
                return connector.description();
            }
        };
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).build();
        int blobs = 400;
        try (Harness h = Harness.connect(config, listener, recording)) {
            BlobClient bc = h.client();
            SplittableRandom rnd = new SplittableRandom(channels * 31L + senderKey.length());
            long bytes = 0;
            for (int i = 0; i < blobs; i++) {
                // from empty to several TLS records per blob
                int len = i % 50 == 0 ? 70_000 : rnd.nextInt(0, 5000);
                bc.add(i, 1, len);
                bytes += len;
                if (i % 100 == 99) {
                    bc.flush();
                    h.sender.sync();
                }
            }
            bc.flush();
            MigrationStats sent = h.sender.finish();
            MigrationStats received = h.receiver.await(Duration.ofSeconds(60));
            assertThat(sent.rawBytes()).isEqualTo(bytes);
            assertThat(h.sink.corrupt()).as("blobs with wrong bytes").isZero();
            assertThat(h.sink.arrivals()).hasSize(blobs);
            assertThat(received.rawBytes()).isEqualTo(bytes);
            assertThat(received.perChannel()).hasSize(channels);
        }
        java.security.cert.X509Certificate expected = TlsFixtures.identity("receiver").certificate();
        assertThat(opened).hasSize(channels).allSatisfy(c -> {
            assertThat(c.session().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(c.peerCertificate()).isEqualTo(expected);
        });
        assertThat(Threads.awaitNone(5)).as("multifd threads alive after the migration").isEmpty();
        if (sock != null) {
            assertThat(sock).doesNotExist();
        }
    }
}
