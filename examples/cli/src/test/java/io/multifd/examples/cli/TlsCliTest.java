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
import java.util.HexFormat;
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
        CliMigrationTest.PipedLines err = new CliMigrationTest.PipedLines();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> MultifdCommand.execute(
                new String[]{"recv", "--listen", "127.0.0.1:0", "--out", out.toString(), "--timeout", "20",
                        "--tls-cert", dir.resolve(me + ".crt").toString(), "--tls-key", dir.resolve(me + ".key").toString(),
                        "--tls-trust", dir.resolve("sender-1.crt").toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(err, true)));
        return new RecvRun(exit, err);
    }
}
