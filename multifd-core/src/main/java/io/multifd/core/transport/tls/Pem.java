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

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificates and PKCS#8 private keys with the JDK alone. Every failure names the
 * file and what was wrong with it. Stateless; any thread.
 */
final class Pem {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    private Pem() {
    }

    private record Block(String label, byte[] der) {
    }

    private static List<Block> blocks(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(file + " is not a PEM file (PEM is ASCII text with -----BEGIN ... lines; this holds "
                    + "other bytes)", e);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2).trim());
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": the PEM block '" + m.group(1) + "' is not valid base64: "
                        + e.getMessage(), e);
            }
            out.add(new Block(m.group(1), der));
        }
        return out;
    }

    /**
     * Every {@code CERTIFICATE} block of a PEM file, in file order.
     *
     * @throws IOException if the file cannot be read, holds no certificate or a bad one
     */
    static List<X509Certificate> certificates(Path file) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        CertificateFactory cf;
        try {
            cf = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
        for (Block b : blocks(file)) {
            if (!b.label().equals("CERTIFICATE")) {
                continue;
            }
            try {
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
            } catch (CertificateException e) {
                throw new IOException(file + ": certificate " + (certs.size() + 1) + " cannot be parsed: "
                        + e.getMessage(), e);
            }
        }
        if (certs.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }

    /**
     * The unencrypted PKCS#8 private key of a PEM file ({@code -----BEGIN PRIVATE KEY-----}), of the
     * algorithm of {@code forCertificate}'s public key (RSA or EC, or any the JDK knows), checked
     * to belong to that certificate.
     *
     * @throws IOException if the file holds no such key, an encrypted or legacy one (the message
     *                     says how to convert it), or a key of another certificate
     */
    static PrivateKey privateKey(Path file, X509Certificate forCertificate) throws IOException {
        for (Block b : blocks(file)) {
            switch (b.label()) {
                case "PRIVATE KEY" -> {
                    PrivateKey key = decode(file, b.der(), forCertificate.getPublicKey().getAlgorithm());
                    checkPair(file, key, forCertificate);
                    return key;
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IOException(file + " holds an encrypted private key; "
                        + "decrypt it first (openssl pkcs8 -in " + file + " -out plain.key)");
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new IOException(file + " holds a legacy '"
                        + b.label() + "'; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in " + file + ")");
                default -> {
                    // certificates or parameters next to the key are skipped
                }
            }
        }
        throw new IOException(file + " holds no PKCS#8 private key (-----BEGIN PRIVATE KEY-----)");
    }

    private static PrivateKey decode(Path file, byte[] der, String algorithm) throws IOException {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": the private key is not a PKCS#8 " + algorithm + " key matching the "
                    + "certificate: " + e.getMessage(), e);
        }
    }

    /** Signs a probe with the key and verifies it with the certificate. */
    private static void checkPair(Path file, PrivateKey key, X509Certificate cert) throws IOException {
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "Ed448", "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (alg == null) {
            return; // no probe for this algorithm; the handshake will tell
        }
        byte[] probe = "multifd key check".getBytes(StandardCharsets.US_ASCII);
        boolean ok;
        try {
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            ok = v.verify(sig);
        } catch (GeneralSecurityException e) {
            ok = false;
        }
        if (!ok) {
            throw new IOException("the private key in " + file + " does not belong to the certificate "
                    + cert.getSubjectX500Principal().getName());
        }
    }
}
