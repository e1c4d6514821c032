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
package io.multifd.examples.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * keygen and the TLS options of send and recv, in this JVM: two identities made by keygen,
 * each pinned by the other's trust file, migrate byte-exact; a receiver the sender does not
 * trust gets nothing and the sender says why.
 */
@Timeout(90)
class TlsCliTest {

    @TempDir
    Path dir;

    private Json keygen(String name) throws Exception {
        CommandLineTest.Run r = CommandLineTest.run("keygen", "--cert", dir.resolve(name + ".crt").toString(),
                "--key", dir.resolve(name + ".key").toString(), "--name", name, "--json");
        assertThat(r.status()).as(r.err()).isZero();
        return Json.parse(r.out().strip());
    }

    @Test
    void keygenWritesAPinnableIdentityWithAPrivateKeyFile() throws Exception {
        Json j = keygen("receiver-1");
        Path cert = dir.resolve("receiver-1.crt");
        X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert)));
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=receiver-1");
        assertThat(c.getPublicKey().getAlgorithm()).isEqualTo("EC");
        c.verify(c.getPublicKey()); // self-signed
        assertThat(j.getString("fingerprint")).isEqualTo(HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded())));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("receiver-1.key"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve("receiver-1.key"))).startsWith("-----BEGIN PRIVATE KEY-----");
        // never overwrites
        CommandLineTest.Run again = CommandLineTest.run("keygen", "--cert", cert.toString(), "--key",
                dir.resolve("other.key").toString());
        assertThat(again.status()).isEqualTo(MultifdCommand.EXIT_USAGE);
        assertThat(again.err()).contains("exists");
        assertThat(dir.resolve("other.key")).doesNotExist();
    }

    @Test
    void aTrustFileOfBinaryBytesIsNamedAsNotPem() throws Exception {
        keygen("receiver-1");
        Path binary = dir.resolve("random.bin");
        Files.write(binary, new byte[]{(byte) 0x89, 'P', 'N', 'G', (byte) 0xff, 0});
        CommandLineTest.Run r = CommandLineTest.run("recv", "--listen", "127.0.0.1:0", "--out",
                dir.resolve("o.img").toString(), "--tls-cert", dir.resolve("receiver-1.crt").toString(), "--tls-key",
                dir.resolve("receiver-1.key").toString(), "--tls-trust", binary.toString());
        assertThat(r.status()).isNotZero();
        assertThat(r.err()).contains(binary + " is not a PEM file").doesNotContain("Input length");
        assertThat(dir.resolve("o.img")).doesNotExist();
    }

    /**
     * A TLS file that cannot serve its option is the command line's mistake (exit 2), named by
     * its option or its file: a directory, a missing file, a key where the certificate goes.
     */
    @Test
    void unusableTlsFilesAreUsageErrorsNamingTheOptionOrFile() throws Exception {
        keygen("receiver-1");
        String crt = dir.resolve("receiver-1.crt").toString();
        String key = dir.resolve("receiver-1.key").toString();
        String[][] cases = {
            {crt, key, dir.toString(), "--tls-trust '" + dir + "' is a directory, not a PEM file"},
            {crt, key, dir.resolve("nope.crt").toString(), "--tls-trust '" + dir.resolve("nope.crt") + "' does not exist"},
            {key, key, crt, key + " holds no PEM certificate"},
            {crt, crt, crt, crt + " holds no PKCS#8 private key"},
        };
        for (String[] c : cases) {
            CommandLineTest.Run r = CommandLineTest.run("recv", "--listen", "127.0.0.1:0", "--out",
                    dir.resolve("o.img").toString(), "--tls-cert", c[0], "--tls-key", c[1], "--tls-trust", c[2]);
            assertThat(r.status()).as(r.err()).isEqualTo(MultifdCommand.EXIT_USAGE);
            assertThat(r.err()).contains(c[3]);
        }
        assertThat(dir.resolve("o.img")).doesNotExist();
    }

    @Test
    void sendAndRecvOverMutualTls() throws Exception {
        keygen("sender-1");
        keygen("receiver-1");
        keygen("impostor");
        Path image = dir.resolve("src.img");
        long size = (3 << 20) + 123;
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(size), "--quiet")
                .status()).isZero();

        // the real receiver: byte-exact
        Path out = dir.resolve("dst.img");
        RecvRun rx = recv("receiver-1", out);
        CommandLineTest.Run tx = send("receiver-1", rx.port(), image);
        assertThat(tx.status()).as(tx.err()).isZero();
        assertThat(rx.status()).as(rx.err()).isZero();
        assertThat(Hashing.sha256(out)).isEqualTo(Hashing.sha256(image));

        // an impostor (it trusts the sender, but the sender pinned receiver-1): refused, nothing sent
        Path stolen = dir.resolve("stolen.img");
        RecvRun imp = recv("impostor", stolen);
        CommandLineTest.Run refused = send("receiver-1", imp.port(), image);
        assertThat(refused.status()).as("a receiver the sender does not trust: refused by TLS authentication").isEqualTo(ExitStatus.REFUSED);
        assertThat(refused.err()).contains("the peer's certificate CN=impostor").contains("is not trusted");
        assertThat(imp.status()).isNotZero();
        assertThat(stolen).doesNotExist();
    }

    /**
     * A receiver that refuses the sender's certificate, or its names (--tls-allow), refuses it in
     * the TLS handshake; in TLS 1.3 the sender meets that as an alert after its half of the
     * handshake, and still exits 4 naming it (it exited 5, "damaged", and 3, "connection reset").
     */
    @Test
    void aSenderTheReceiverRefusesExits4NamingTheRefusal() throws Exception {
        keygen("sender-1");
        keygen("receiver-1");
        keygen("someone-else");
        Path image = dir.resolve("src.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", "1M", "--quiet").status()).isZero();

        RecvRun untrusted = recv("receiver-1", "someone-else", dir.resolve("a.img"), "--timeout", "3");
        CommandLineTest.Run a = send("receiver-1", untrusted.port(), image);
        assertThat(a.status()).as(a.err()).isEqualTo(ExitStatus.REFUSED);
        assertThat(a.err()).contains("refused the handshake").contains("does not accept our certificate");

        RecvRun notAllowed = recv("receiver-1", "sender-1", dir.resolve("b.img"), "--timeout", "3",
                "--tls-allow", "someone-else");
        CommandLineTest.Run b = send("receiver-1", notAllowed.port(), image);
        assertThat(b.status()).as(b.err()).isEqualTo(ExitStatus.REFUSED);
        assertThat(b.err()).contains("refused the handshake").contains("does not accept our certificate");

        // each receiver dropped the connection, went on accepting, and ended at its own timeout
        assertThat(untrusted.status()).as(untrusted.err()).isEqualTo(ExitStatus.CONNECTION);
        assertThat(untrusted.err()).contains("is not trusted");
        assertThat(notAllowed.status()).as(notAllowed.err()).isEqualTo(ExitStatus.CONNECTION);
        assertThat(notAllowed.err()).contains("none of the allowed peer names [someone-else]");
        assertThat(dir.resolve("a.img")).doesNotExist();
        assertThat(dir.resolve("b.img")).doesNotExist();
    }

    @Test
    void aRecordChangedOnTheWireAfterTheHandshakeIsDamagedExit5AndNothingIsWritten() throws Exception {
        keygen("sender-1");
        keygen("receiver-1");
        Path image = dir.resolve("src.img");
        assertThat(CommandLineTest.run("gen-image", image.toString(), "--size", Long.toString(8 << 20), "--quiet")
                .status()).isZero();
        Path out = dir.resolve("dst.img");
        RecvRun rx = recv("receiver-1", out);
        // a man in the middle flips one bit of sender-to-receiver traffic, 256 KiB into each
        // connection: long after the handshake, inside an application data record
        try (BitFlipProxy proxy = new BitFlipProxy(rx.port(), 256 << 10)) {
            CommandLineTest.Run tx = send("receiver-1", proxy.port(), image);
            assertThat(rx.status()).as(rx.err()).isEqualTo(ExitStatus.DAMAGED);
            assertThat(rx.err()).contains("TLS on tcp 127.0.0.1:")
                    .contains("a TLS record failed its integrity check: the stream was changed on the way");
            assertThat(tx.status()).as(tx.err()).isNotZero();
        }
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("dst.img.part")).doesNotExist();
    }

    /** Forwards TCP connections to a port, flipping one bit at a fixed offset of each client-to-server stream. */
    private static final class BitFlipProxy implements AutoCloseable {
        private final java.net.ServerSocket server = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress());
        private final java.util.List<java.io.Closeable> open = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final Thread acceptor;

        BitFlipProxy(int target, long flipAt) throws java.io.IOException {
            open.add(server);
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        java.net.Socket client = server.accept();
                        java.net.Socket upstream = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), target);
                        open.add(client);
                        open.add(upstream);
                        pump(client, upstream, flipAt);
                        pump(upstream, client, -1);
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            }, "bit-flip-proxy");
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private static void pump(java.net.Socket from, java.net.Socket to, long flipAt) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[64 << 10];
                long offset = 0;
                try (java.io.InputStream in = from.getInputStream(); java.io.OutputStream o = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        if (flipAt >= offset && flipAt < offset + n) {
                            buf[(int) (flipAt - offset)] ^= 0x10;
                        }
                        offset += n;
                        o.write(buf, 0, n);
                    }
                } catch (java.io.IOException e) {
                    // either side went away
                }
            }, "bit-flip-pump");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws Exception {
            for (java.io.Closeable c : open) {
                c.close();
            }
            acceptor.join(10_000);
        }
    }

    private CommandLineTest.Run send(String trusted, int port, Path image) {
        return CommandLineTest.run("send", "--connect", "127.0.0.1:" + port, "--image", image.toString(),
                "--channels", "2", "--quiet", "--connect-timeout", "10",
                "--tls-cert", dir.resolve("sender-1.crt").toString(), "--tls-key", dir.resolve("sender-1.key").toString(),
                "--tls-trust", dir.resolve(trusted + ".crt").toString());
    }

    private record RecvRun(CompletableFuture<Integer> exit, CliMigrationTest.PipedLines errLines) {
        int port() throws Exception {
            return errLines.port();
        }

        int status() throws Exception {
            return exit.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }

        String err() {
            return errLines.toString();
        }
    }

    private RecvRun recv(String me, Path out) {
        return recv(me, "sender-1", out, "--timeout", "20");
    }

    private RecvRun recv(String me, String trusted, Path out, String... more) {
        CliMigrationTest.PipedLines err = new CliMigrationTest.PipedLines();
        List<String> args = new ArrayList<>(List.of("recv", "--listen", "127.0.0.1:0", "--out", out.toString(),
                "--tls-cert", dir.resolve(me + ".crt").toString(), "--tls-key", dir.resolve(me + ".key").toString(),
                "--tls-trust", dir.resolve(trusted + ".crt").toString()));
        args.addAll(List.of(more));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                args.toArray(String[]::new), new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)),
                runnable -> {
                    Thread t = new Thread(runnable, "recv-command"); // not the common pool: one thread on 2 CPUs
                    t.setDaemon(true);
                    t.start();
                });
        return new RecvRun(exit, err);
    }
}
