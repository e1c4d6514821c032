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
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;

/**
 * What a TLS transport authenticates with and whom it trusts: either a ready {@link SSLContext},
 * or this end's certificate chain and private key plus the certificates it trusts (a trust file
 * may list CA certificates, or a peer's own self-signed certificate, which then pins that peer).
 * Mutual authentication is always on: the listener requires a client certificate, the
 * connector checks the listener's.
 *
 * <pre>{@code
 * TlsConfig tls = TlsConfig.builder()
 *         .identityPem(Path.of("me.crt"), Path.of("me.key"))
 *         .trustPem(Path.of("peers.pem"))
 *         .allowedPeerNames(List.of("receiver-1"))
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; one config may serve any number of connectors and listeners.
 */
public final class TlsConfig {

    /** The default: TLS 1.3 only. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3");
    /** The default bound on one channel's TLS handshake. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    private final SSLContext context;
    private final PeerTrustManager trust; // null with a caller's SSLContext
    private final Set<String> allowedPeerNames;
    private final List<String> protocols;
    private final List<String> cipherSuites;
    private final Duration handshakeTimeout;
    private final boolean verifyHostName;

    private TlsConfig(Builder b) {
        this.allowedPeerNames = b.allowedPeerNames.stream().map(Certificates::normalise)
                .collect(Collectors.toUnmodifiableSet());
        this.protocols = List.copyOf(b.protocols);
        this.cipherSuites = b.cipherSuites == null ? null : List.copyOf(b.cipherSuites);
        this.handshakeTimeout = b.handshakeTimeout;
        this.verifyHostName = b.verifyHostName;
        if (b.context != null) {
            this.context = b.context;
            this.trust = null;
        } else {
            this.trust = new PeerTrustManager(b.trusted, allowedPeerNames);
            this.context = context(b.key, b.chain, trust);
        }
    }

    private static SSLContext context(PrivateKey key, List<X509Certificate> chain, PeerTrustManager trust) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new KeyManager[] {new IdentityKeyManager(key, chain)}, new TrustManager[] {trust}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS with the certificate "
                    + Certificates.subject(chain.get(0)) + ": " + e.getMessage(), e);
        }
    }

    /** @return a new builder */
    public static Builder builder() {
        return new Builder();
    }

    /** The normalised peer names a peer's certificate must claim one of; empty for any trusted peer. */
    public Set<String> allowedPeerNames() {
        return allowedPeerNames;
    }

    /** The enabled protocol versions. */
    public List<String> protocols() {
        return protocols;
    }

    /** The bound on one channel's handshake. */
    public Duration handshakeTimeout() {
        return handshakeTimeout;
    }

    /** The SSL context the engines come from. */
    public SSLContext sslContext() {
        return context;
    }

    /** True if the peer's certificate is pinned by the trust file (always false with a caller's SSLContext). */
    boolean pinned(X509Certificate leaf) {
        return trust != null && trust.pinned(leaf);
    }

    /**
     * A new engine for one channel.
     *
     * @param client true on the connecting side
     * @param host   the host the connector was given (checked against the peer's certificate
     *               unless names are allowed explicitly or the certificate is pinned), or null
     * @param port   its port, or -1
     */
    SSLEngine engine(boolean client, String host, int port) {
        SSLEngine e = host == null ? context.createSSLEngine() : context.createSSLEngine(host, port);
        e.setUseClientMode(client);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(protocols.toArray(new String[0]));
        if (cipherSuites != null) {
            p.setCipherSuites(cipherSuites.toArray(new String[0]));
        }
        if (client) {
            if (host != null && verifyHostName && allowedPeerNames.isEmpty()) {
                p.setEndpointIdentificationAlgorithm("HTTPS");
            }
        } else {
            p.setNeedClientAuth(true);
        }
        e.setSSLParameters(p);
        return e;
    }

    /**
     * Builds a {@link TlsConfig}. Give either {@link #sslContext} or both an identity and trusted
     * certificates. Not thread-safe.
     */
    public static final class Builder {
        private SSLContext context;
        private PrivateKey key;
        private List<X509Certificate> chain;
        private List<X509Certificate> trusted;
        private Collection<String> allowedPeerNames = List.of();
        private List<String> protocols = DEFAULT_PROTOCOLS;
        private List<String> cipherSuites;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private boolean verifyHostName = true;

        private Builder() {
        }

        /**
         * Uses a ready context (its key managers must hold this end's certificate, its trust
         * managers decide whom to trust). Replaces an identity and trust given before.
         *
         * @param context the context
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            this.context = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * This end's certificate chain (its own certificate first) and private key.
         *
         * @param key   the private key of {@code chain.get(0)}
         * @param chain the chain, not empty
         * @return this builder
         */
        public Builder identity(PrivateKey key, List<X509Certificate> chain) {
            Objects.requireNonNull(key, "key");
            if (chain == null || chain.isEmpty()) {
                throw new IllegalArgumentException("the identity needs a certificate chain with at least one certificate");
            }
            this.key = key;
            this.chain = List.copyOf(chain);
            return this;
        }

        /**
         * Reads the identity from PEM files: the certificate chain (own certificate first) and an
         * unencrypted PKCS#8 private key ({@code -----BEGIN PRIVATE KEY-----}, RSA or EC).
         *
         * @param certificateChain the certificate file
         * @param privateKey       the key file
         * @return this builder
         * @throws UncheckedIOException naming the file and the problem if either cannot be used
         */
        public Builder identityPem(Path certificateChain, Path privateKey) {
            try {
                List<X509Certificate> certs = Pem.certificates(certificateChain);
                return identity(Pem.privateKey(privateKey, certs.get(0)), certs);
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }

        /**
         * The certificates to trust: CA certificates, or peers' own certificates (pinned).
         *
         * @param certificates at least one
         * @return this builder
         */
        public Builder trust(Collection<X509Certificate> certificates) {
            if (certificates == null || certificates.isEmpty()) {
                throw new IllegalArgumentException("trust needs at least one certificate");
            }
            this.trusted = List.copyOf(certificates);
            return this;
        }

        /**
         * Reads the certificates to trust from a PEM file with one or more certificates.
         *
         * @param trustFile the file
         * @return this builder
         * @throws UncheckedIOException naming the file if it cannot be read or holds no certificate
         */
        public Builder trustPem(Path trustFile) {
            try {
                return trust(Pem.certificates(trustFile));
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }

        /**
         * Accept only peers whose certificate names one of these (a DNS or IP subject alternative
         * name, or the subject's common name; case-insensitive). Replaces the host-name check on
         * the connector. Empty (the default) accepts any trusted peer.
         *
         * @param names the allowed names
         * @return this builder
         */
        public Builder allowedPeerNames(Collection<String> names) {
            this.allowedPeerNames = List.copyOf(names);
            return this;
        }

        /**
         * The protocol versions to enable (default {@code TLSv1.3}).
         *
         * @param protocols such as {@code TLSv1.3}, {@code TLSv1.2}
         * @return this builder
         */
        public Builder protocols(String... protocols) {
            if (protocols.length == 0) {
                throw new IllegalArgumentException("at least one protocol is needed");
            }
            this.protocols = Arrays.asList(protocols.clone());
            return this;
        }

        /**
         * The cipher suites to enable (default: the JDK's).
         *
         * @param suites such as {@code TLS_AES_128_GCM_SHA256}
         * @return this builder
         */
        public Builder cipherSuites(String... suites) {
            if (suites.length == 0) {
                throw new IllegalArgumentException("at least one cipher suite is needed");
            }
            this.cipherSuites = Arrays.asList(suites.clone());
            return this;
        }

        /**
         * The bound on one channel's handshake (default 10 s); a stalled handshake closes the channel.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("handshake timeout must be positive: " + timeout);
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        /**
         * Whether the connector checks that a CA-issued peer certificate names the host it
         * connects to (default true; pinned certificates and allowed names replace the check).
         *
         * @param verify false to trust any certificate the trust file vouches for
         * @return this builder
         */
        public Builder verifyHostName(boolean verify) {
            this.verifyHostName = verify;
            return this;
        }

        /**
         * @return the config
         * @throws IllegalStateException if neither an SSL context nor both identity and trust were given
         */
        public TlsConfig build() {
            if (context == null) {
                if (key == null) {
                    throw new IllegalStateException("TLS needs this end's certificate and private key "
                            + "(mutual authentication is always on), or an SSLContext");
                }
                if (trusted == null) {
                    throw new IllegalStateException("TLS needs the certificates to trust (a CA or the peer's own), "
                            + "or an SSLContext");
                }
            }
            return new TlsConfig(this);
        }
    }
}
