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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.transport.TcpTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The TLS channel on its own, over loopback TCP: concurrent reading and writing, a clean
 * half-close, close from another thread, the handshake timeout on both ends, one identity per
 * session, CA-issued certificates with the host-name check, and PEM files that cannot be used.
 */
@Timeout(60)
class TlsChannelTest {

    private static final Duration T = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<AutoCloseableIo> open = new ArrayList<>();

    private interface AutoCloseableIo {
        void close() throws IOException;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseableIo c : open) {
            c.close();
        }
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).as("test threads ended").isTrue();
    }

    private TcpTransport.Listener tcp() {
        TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        open.add(l::close);
        return l;
    }

    /** Accepts one channel and completes its handshake, in the background. */
    private Future<TlsChannel> acceptOne(TransportListener listener) {
        return pool.submit(() -> {
            TlsChannel c = (TlsChannel) listener.accept(T);
            open.add(c::close);
            c.handshake();
            return c;
        });
    }

    private TlsChannel connect(TransportConnector connector, int id) throws IOException {
        TlsChannel c = (TlsChannel) connector.connect(id, T);
        open.add(c::close);
        return c;
    }

    private static Throwable cause(Future<?> f) throws InterruptedException {
        try {
            f.get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("not done within 30 s", e);
        }
    }

    @Test
    void bothDirectionsAtOnceArriveByteExactWithGatheringWrites() throws Exception {
        TcpTransport.Listener tcp = tcp();
        TransportListener listener = TlsTransport.listener(tcp, TlsFixtures.config(dir, "receiver", "sender").build());
        Future<TlsChannel> server = acceptOne(listener);
        TlsChannel client = connect(TlsTransport.tcpConnector(tcp.localAddress(),
                TlsFixtures.config(dir, "sender", "receiver").build()), 0);
        TlsChannel srv = server.get(30, TimeUnit.SECONDS);
        long bytes = 24L << 20;
        // each end writes and reads at the same time: one writer and one reader thread per channel
        Future<byte[]> clientSent = pool.submit(writer(client, bytes, 1));
        Future<byte[]> serverSent = pool.submit(writer(srv, bytes, 2));
        Future<byte[]> serverGot = pool.submit(reader(srv, bytes));
        Future<byte[]> clientGot = pool.submit(reader(client, bytes));
        assertThat(serverGot.get(60, TimeUnit.SECONDS)).isEqualTo(clientSent.get(60, TimeUnit.SECONDS));
        assertThat(clientGot.get(60, TimeUnit.SECONDS)).isEqualTo(serverSent.get(60, TimeUnit.SECONDS));
        assertThat(srv.peerCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=sender");
        assertThat(client.session().getCipherSuite()).startsWith("TLS_");
    }

    /** Writes {@code total} pseudo-random bytes in gathering writes of 1 to 5 buffers of mixed sizes. */
    private static Callable<byte[]> writer(TransportChannel ch, long total, long seed) {
        return () -> {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            SplittableRandom rnd = new SplittableRandom(seed);
            long left = total;
            while (left > 0) {
                int n = rnd.nextInt(1, 6);
                ByteBuffer[] bufs = new ByteBuffer[n];
                for (int i = 0; i < n; i++) {
                    int len = (int) Math.min(left, rnd.nextInt(0, 3) == 0 ? rnd.nextInt(1, 200) : rnd.nextInt(1, 70_000));
                    byte[] b = new byte[len];
                    rnd.nextBytes(b);
                    md.update(b);
                    left -= len;
                    bufs[i] = rnd.nextBoolean() ? ByteBuffer.wrap(b) : ByteBuffer.allocateDirect(len).put(b).flip();
                }
                while (remaining(bufs) > 0) {
                    ch.write(bufs);
                }
            }
            return md.digest();
        };
    }

    private static long remaining(ByteBuffer[] bufs) {
        long n = 0;
        for (ByteBuffer b : bufs) {
            n += b.remaining();
        }
        return n;
    }

    /** Reads exactly {@code total} bytes with scattering reads and hashes them. */
    private static Callable<byte[]> reader(TransportChannel ch, long total) {
        return () -> {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer a = ByteBuffer.allocate(1000);
            ByteBuffer b = ByteBuffer.allocateDirect(50_000);
            long got = 0;
            while (got < total) {
                a.clear();
                b.clear();
                long want = total - got;
                if (want < a.capacity()) {
                    a.limit((int) want);
                    b.limit(0);
                } else if (want < a.capacity() + b.capacity()) {
                    b.limit((int) (want - a.capacity()));
                }
                long n = ch.read(new ByteBuffer[] {a, b});
                if (n < 0) {
                    throw new IOException("end of stream after " + got + " of " + total + " bytes");
                }
                got += n;
                md.update(a.flip());
                md.update(b.flip());
            }
            return md.digest();
        };
    }

    @Test
    void shutdownOutputEndsOneDirectionCleanly() throws Exception {
        TcpTransport.Listener tcp = tcp();
        Future<TlsChannel> server = acceptOne(TlsTransport.listener(tcp,
                TlsFixtures.config(dir, "receiver", "sender").build()));
        TlsChannel client = connect(TlsTransport.tcpConnector(tcp.localAddress(),
                TlsFixtures.config(dir, "sender", "receiver").build()), 0);
        TlsChannel srv = server.get(30, TimeUnit.SECONDS);
        client.write(ByteBuffer.wrap("last words".getBytes()));
        client.shutdownOutput();
        ByteBuffer in = ByteBuffer.allocate(100);
        while (in.position() < 10) {
            assertThat(srv.read(in)).isNotNegative();
        }
        assertThat(new String(in.array(), 0, in.position())).isEqualTo("last words");
        assertThat(srv.read(ByteBuffer.allocate(10))).as("end of stream after close_notify").isEqualTo(-1);
        // the other direction still works
        srv.write(ByteBuffer.wrap("reply".getBytes()));
        srv.shutdownOutput();
        ByteBuffer back = ByteBuffer.allocate(100);
        while (back.position() < 5) {
            assertThat(client.read(back)).isNotNegative();
        }
        assertThat(new String(back.array(), 0, 5)).isEqualTo("reply");
        assertThat(client.read(ByteBuffer.allocate(10))).isEqualTo(-1);
    }

    @Test
    void closeFromAnotherThreadEndsABlockedRead() throws Exception {
        TcpTransport.Listener tcp = tcp();
        Future<TlsChannel> server = acceptOne(TlsTransport.listener(tcp,
                TlsFixtures.config(dir, "receiver", "sender").build()));
        TlsChannel client = connect(TlsTransport.tcpConnector(tcp.localAddress(),
                TlsFixtures.config(dir, "sender", "receiver").build()), 0);
        server.get(30, TimeUnit.SECONDS);
        Future<Integer> read = pool.submit(() -> client.read(ByteBuffer.allocate(100))); // the server sends nothing
        client.close();
        assertThat(cause(read)).isInstanceOf(ClosedChannelException.class);
        assertThat(client.isOpen()).isFalse();
    }

    @Test
    void aSilentClientIsCutAtTheHandshakeTimeout() throws Exception {
        TcpTransport.Listener tcp = tcp();
        TransportListener listener = TlsTransport.listener(tcp, TlsFixtures.config(dir, "receiver", "sender")
                .handshakeTimeout(Duration.ofMillis(300)).build());
        try (SocketChannel silent = SocketChannel.open(tcp.localAddress())) {
            Future<TlsChannel> server = acceptOne(listener);
            assertThat(cause(server)).isInstanceOf(ChannelTimeoutException.class)
                    .hasMessageContaining("TLS handshake with tcp 127.0.0.1:")
                    .hasMessageContaining("did not complete within 300 ms");
            assertThat(silent.isOpen()).isTrue();
        }
    }

    @Test
    void aSilentReceiverFailsTheConnectAtTheHandshakeTimeout() throws Exception {
        TcpTransport.Listener tcp = tcp(); // accepts in the kernel backlog and never answers
        TransportConnector connector = TlsTransport.tcpConnector(tcp.localAddress(),
                TlsFixtures.config(dir, "sender", "receiver").handshakeTimeout(Duration.ofMillis(300)).build());
        assertThatThrownBy(() -> connect(connector, 0)).isInstanceOf(ChannelTimeoutException.class)
                .hasMessageContaining("did not complete within 300 ms");
    }

    @Test
    void aSecondAdmittedChannelWithAnotherTrustedIdentityIsRefused() throws Exception {
        TcpTransport.Listener tcp = tcp();
        TransportListener listener = TlsTransport.listener(tcp,
                TlsFixtures.config(dir, "receiver", "sender", "other-sender").build());
        Future<TlsChannel> first = acceptOne(listener);
        connect(TlsTransport.tcpConnector(tcp.localAddress(), TlsFixtures.config(dir, "sender", "receiver").build()), 0);
        TlsChannel admitted = first.get(30, TimeUnit.SECONDS);
        assertThat(admitted.peerCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=sender");
        admitted.admitted(); // the receiver admits it: CN=sender is now the session's identity
        Future<TlsChannel> second = acceptOne(listener);
        connect(TlsTransport.tcpConnector(tcp.localAddress(), TlsFixtures.config(dir, "other-sender", "receiver").build()),
                1);
        TlsChannel other = second.get(30, TimeUnit.SECONDS); // trusted: its handshake completes
        assertThatThrownBy(other::admitted).hasMessageContaining("the peer's certificate CN=other-sender")
                .hasMessageContaining("differs from the one CN=sender")
                .hasMessageContaining("every channel of a session must come from the same peer");
        admitted.admitted(); // the same identity again is fine
    }

    @Test
    void aTrustedPeerThatIsNeverAdmittedFixesNoIdentity() throws Exception {
        TcpTransport.Listener tcp = tcp();
        TransportListener listener = TlsTransport.listener(tcp,
                TlsFixtures.config(dir, "receiver", "sender", "other-sender").build());
        Future<TlsChannel> stray = acceptOne(listener);
        connect(TlsTransport.tcpConnector(tcp.localAddress(), TlsFixtures.config(dir, "other-sender", "receiver").build()),
                0).close();
        stray.get(30, TimeUnit.SECONDS).close(); // completed its handshake, then went away unadmitted
        Future<TlsChannel> real = acceptOne(listener);
        connect(TlsTransport.tcpConnector(tcp.localAddress(), TlsFixtures.config(dir, "sender", "receiver").build()), 0);
        TlsChannel admitted = real.get(30, TimeUnit.SECONDS);
        admitted.admitted();
        assertThat(admitted.peerCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=sender");
    }

    @Test
    void aCaIssuedReceiverCertificateMustNameTheHostUnlessNamesAreAllowed() throws Exception {
        TlsConfig.Builder trustCa = TlsConfig.builder()
                .identityPem(TlsFixtures.resource("sender.crt"), TlsFixtures.resource("sender.key"))
                .trustPem(TlsFixtures.trustFile(dir, "ca"));
        // names 127.0.0.1: accepted through the CA
        TcpTransport.Listener good = tcp();
        Future<TlsChannel> ok = acceptOne(TlsTransport.listener(good,
                TlsFixtures.config(dir, "issued-localhost", "sender").build()));
        TlsChannel c = connect(TlsTransport.tcpConnector(good.localAddress(), trustCa.build()), 0);
        ok.get(30, TimeUnit.SECONDS);
        assertThat(c.peerCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=issued-localhost");
        assertThat(c.session().getPeerCertificates()).hasSize(2);

        // trusted CA, but names another host: refused
        TcpTransport.Listener elsewhere = tcp();
        Future<TlsChannel> refused = acceptOne(TlsTransport.listener(elsewhere,
                TlsFixtures.config(dir, "issued-elsewhere", "sender").build()));
        assertThatThrownBy(() -> connect(TlsTransport.tcpConnector(elsewhere.localAddress(), trustCa.build()), 0))
                .hasMessageContaining("the peer's certificate CN=issued-elsewhere")
                .hasMessageContaining("does not name the host it was reached at");
        assertThat(cause(refused)).isInstanceOf(IOException.class);

        // the same certificate, with its name allowed explicitly (a fresh listener: the refused one
        // failed its only channel)
        TcpTransport.Listener third = tcp();
        Future<TlsChannel> accepted = acceptOne(TlsTransport.listener(third,
                TlsFixtures.config(dir, "issued-elsewhere", "sender").build()));
        TlsChannel named = connect(TlsTransport.tcpConnector(third.localAddress(),
                trustCa.allowedPeerNames(List.of("elsewhere.example")).build()), 0);
        accepted.get(30, TimeUnit.SECONDS);
        assertThat(named.peerCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=issued-elsewhere");
    }

    @Test
    void unusableFilesAreNamedWithTheProblem() throws Exception {
        Path cert = TlsFixtures.resource("sender.crt");
        assertThatThrownBy(() -> TlsConfig.builder().identityPem(cert, TlsFixtures.resource("receiver.key")))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("receiver.key does not belong to the certificate CN=sender");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        assertThatThrownBy(() -> TlsConfig.builder().trustPem(empty))
                .hasMessageContaining("empty.pem holds no PEM certificate");
        Path legacy = Files.writeString(dir.resolve("legacy.key"),
                TlsFixtures.pem("EC PRIVATE KEY", new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> TlsConfig.builder().identityPem(cert, legacy))
                .hasMessageContaining("legacy.key holds a legacy 'EC PRIVATE KEY'")
                .hasMessageContaining("openssl pkcs8 -topk8");
        assertThatThrownBy(() -> TlsConfig.builder().trustPem(cert).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("mutual authentication is always on");
        assertThatThrownBy(() -> TlsConfig.builder().identityPem(cert, TlsFixtures.resource("sender.key")).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("the certificates to trust");
    }
}
