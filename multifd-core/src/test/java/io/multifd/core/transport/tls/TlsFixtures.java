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

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The TLS test identities: PEM certificate and PKCS#8 key files committed under
 * {@code src/test/resources/tls} (see the README there for how they were made), and trust files
 * assembled from them in a temporary directory, as an operator would.
 */
final class TlsFixtures {

    private TlsFixtures() {
    }

    /** One end's identity: its PEM files and its parsed certificate. */
    record Identity(String name, Path cert, Path key, X509Certificate certificate) {
    }

    /**
     * @param name a file name stem under {@code tls/}, such as {@code sender}
     * @return the identity
     */
    static Identity identity(String name) throws IOException {
        Path cert = resource(name + ".crt");
        Path key = resource(name + ".key");
        return new Identity(name, cert, key, Pem.certificates(cert).get(0));
    }

    static Path resource(String file) throws IOException {
        URL url = TlsFixtures.class.getResource("/tls/" + file);
        if (url == null) {
            throw new IOException("missing test resource tls/" + file);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    /** A trust file in {@code dir} listing the certificates of the named resources (pins or CAs). */
    static Path trustFile(Path dir, String... certFiles) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String f : certFiles) {
            sb.append("# ").append(f).append('\n')
                    .append(Files.readString(resource(f.endsWith(".crt") ? f : f + ".crt"), StandardCharsets.US_ASCII));
        }
        Path p = Files.createTempFile(dir, "trust", ".pem");
        Files.writeString(p, sb.toString(), StandardCharsets.US_ASCII);
        return p;
    }

    /** A config presenting {@code me} and trusting the certificates of {@code trusted} (by resource name). */
    static TlsConfig.Builder config(Path dir, String me, String... trusted) throws IOException {
        Identity id = identity(me);
        return TlsConfig.builder().identityPem(id.cert(), id.key()).trustPem(trustFile(dir, trusted));
    }

    /** The certificates of a PEM file. */
    static List<X509Certificate> certificates(String file) throws IOException {
        return Pem.certificates(resource(file));
    }

    /** A PEM block. */
    static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }
}
