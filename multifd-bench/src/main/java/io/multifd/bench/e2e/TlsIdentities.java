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
package io.multifd.bench.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the bench's TLS identities: a self-signed EC P-256 certificate and PKCS#8 key for
 * {@code sender} and for {@code receiver}, made by the JDK's {@code keytool} (run as a process)
 * and written as PEM ({@code NAME.crt}, {@code NAME.key}) into a fresh temporary directory,
 * removed when the JVM exits. Each role pins the other's certificate.
 */
final class TlsIdentities {

    private static final String PASS = "bench-only";

    private TlsIdentities() {
    }

    /** @return the directory holding {@code sender.crt/.key} and {@code receiver.crt/.key} */
    static Path create() throws Exception {
        Path dir = Files.createTempDirectory("multifd-bench-tls");
        dir.toFile().deleteOnExit(); // registered first, so deleted after the files in it
        for (String name : List.of("sender", "receiver")) {
            Path p12 = dir.resolve(name + ".p12");
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                    "-genkeypair", "-alias", "id", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                    "-validity", "2", "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", PASS,
                    "-keypass", PASS).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("keytool failed: " + out);
            }
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(p12)) {
                ks.load(in, PASS.toCharArray());
            }
            Files.writeString(dir.resolve(name + ".crt"), pem("CERTIFICATE", ks.getCertificate("id").getEncoded()));
            Files.writeString(dir.resolve(name + ".key"), pem("PRIVATE KEY",
                    ks.getKey("id", PASS.toCharArray()).getEncoded()));
            Files.delete(p12);
            for (String f : List.of(name + ".crt", name + ".key")) {
                dir.resolve(f).toFile().deleteOnExit();
            }
        }
        return dir;
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }
}
