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

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.UnixTransport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Mutual TLS over any stream transport: wraps a {@link TransportConnector} or
 * {@link TransportListener} (TCP, Unix domain) so that every channel runs TLS ({@link TlsChannel}).
 *
 * <ul>
 *   <li>Both ends present a certificate and check the other's against their trust
 *       ({@link TlsConfig}); TLS 1.3 only unless configured otherwise.</li>
 *   <li>The connector checks the receiver's identity: against the allowed peer names if any,
 *       else a certificate pinned in the trust file is the identity, else the certificate must
 *       name the host connected to (TCP; Unix sockets have no host name).</li>
 *   <li>The listener checks the allowed peer names if any.</li>
 *   <li>All channels of one connector must present the same certificate as the first one that
 *       completed its handshake, and all channels a receiver admits from one listener (one
 *       receiving session) the same as the first one it admitted (whose hello joined the
 *       session); another, even trusted, is refused. A trusted peer that completes a handshake
 *       on the listener and then sends nothing valid fixes nothing.</li>
 *   <li>The connector completes the handshake inside {@code connect()}. A listener's
 *       {@code accept()} returns at once and the handshake runs on the channel's first read or
 *       write, so a slow client never holds up the accept loop; it is bounded by the handshake
 *       timeout (and by the engine's own I/O deadlines).</li>
 * </ul>
 *
 * <pre>{@code
 * TransportListener l = TlsTransport.listener(TcpTransport.listen(addr), tls);
 * TransportConnector c = TlsTransport.tcpConnector(addr, tls);
 * }</pre>
 *
 * <p>Connectors are thread-safe; listeners follow the {@link TransportListener} contract.
 */
public final class TlsTransport {

    private TlsTransport() {
    }

    /**
     * A TLS connector over TCP to {@code address}, checking the receiver's certificate against
     * the address's host name or IP literal (unless pinned or names are allowed explicitly).
     *
     * @param address the receiver
     * @param config  identity and trust
     * @return the connector
     */
    public static TransportConnector tcpConnector(InetSocketAddress address, TlsConfig config) {
        return connector(TcpTransport.connector(address), config, address.getHostString(), address.getPort());
    }

    /**
     * A TLS connector over a Unix domain socket.
     *
     * @param path   the socket file
     * @param config identity and trust
     * @return the connector
     */
    public static TransportConnector unixConnector(Path path, TlsConfig config) {
        return connector(UnixTransport.connector(path), config, null, -1);
    }

    /**
     * Wraps any connector.
     *
     * @param inner  the plaintext connector
     * @param config identity and trust
     * @param host   the receiver's host name or IP literal for the certificate check, or null
     *               for none (then trust and the allowed names decide)
     * @param port   the receiver's port, or -1
     * @return the connector; thread-safe
     */
    public static TransportConnector connector(TransportConnector inner, TlsConfig config, String host, int port) {
        Objects.requireNonNull(inner, "inner");
        Objects.requireNonNull(config, "config");
        Session session = new Session(config, "the receiver", false);
        return new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                TransportChannel ch = inner.connect(channelId, timeout);
                TlsChannel tls = new TlsChannel(ch, config.engine(true, host, port), config.handshakeTimeout(), session);
                try {
                    tls.handshake();
                } catch (IOException | RuntimeException e) {
                    tls.close();
                    throw e;
                }
                return tls;
            }

            @Override
            public String description() {
                return "tls " + inner.description();
            }

            @Override
            public String toString() {
                return description();
            }
        };
    }

    /**
     * Wraps a listener: every accepted channel runs TLS as the server, requiring a client
     * certificate. Closing the returned listener closes {@code inner}.
     *
     * @param inner  the plaintext listener, now owned by the returned one
     * @param config identity and trust
     * @return the listener
     */
    public static TransportListener listener(TransportListener inner, TlsConfig config) {
        Objects.requireNonNull(inner, "inner");
        Objects.requireNonNull(config, "config");
        Session session = new Session(config, "the sender", true);
        return new TransportListener() {
            @Override
            public TransportChannel accept(Duration timeout) throws IOException {
                TransportChannel ch = inner.accept(timeout);
                try {
                    return new TlsChannel(ch, config.engine(false, null, -1), config.handshakeTimeout(), session);
                } catch (RuntimeException e) {
                    ch.close();
                    throw e;
                }
            }

            @Override
            public void close() throws IOException {
                inner.close();
            }

            @Override
            public String description() {
                return "tls " + inner.description();
            }

            @Override
            public String toString() {
                return description();
            }
        };
    }

    /**
     * Refuses a peer whose certificate claims none of the allowed names. The trust manager of a
     * {@link TlsConfig} built from key and trust material checks the same during the handshake,
     * so that the peer is told by an alert; this check also covers a caller's own {@code SSLContext}.
     */
    static void checkAllowed(TlsConfig config, X509Certificate peer) throws SSLPeerUnverifiedException {
        String refusal = notAllowed(config.allowedPeerNames(), peer);
        if (refusal != null) {
            throw new SSLPeerUnverifiedException(refusal);
        }
    }

    /**
     * @param allowed the allowed peer names (normalised); empty allows any
     * @param peer    the peer's certificate
     * @return why the peer is refused, or null if one of its names is allowed
     */
    static String notAllowed(Set<String> allowed, X509Certificate peer) {
        if (allowed.isEmpty()) {
            return null;
        }
        for (String n : Certificates.names(peer)) {
            if (allowed.contains(n)) {
                return null;
            }
        }
        return "the peer's certificate " + Certificates.describe(peer) + " names " + Certificates.nameList(peer)
                + ", none of the allowed peer names " + allowed;
    }

    /**
     * What the channels of one connector or listener (one session) share: the allowed names, the
     * first certificate presented (later channels must present the same), and the first refusal.
     */
    private static final class Session implements PeerCheck {
        private final TlsConfig config;
        private final AtomicReference<X509Certificate> first = new AtomicReference<>();
        private final AtomicReference<String> refusal = new AtomicReference<>();
        private final String who;
        private final boolean pinAtAdmission;

        /**
         * @param pinAtAdmission true on a listener: the identity is fixed by the first channel the
         *                       receiver admits (its hello joined the session), so a trusted peer
         *                       that completes a handshake and then goes away fixes nothing
         */
        Session(TlsConfig config, String who, boolean pinAtAdmission) {
            this.config = config;
            this.who = who;
            this.pinAtAdmission = pinAtAdmission;
        }

        @Override
        public void check(TlsChannel channel, X509Certificate peer) throws SSLPeerUnverifiedException {
            checkAllowed(config, peer);
            if (!pinAtAdmission) {
                sameAsFirst(peer);
            }
        }

        @Override
        public void admitted(TlsChannel channel, X509Certificate peer) throws SSLPeerUnverifiedException {
            if (pinAtAdmission) {
                sameAsFirst(peer);
            }
        }

        private void sameAsFirst(X509Certificate peer) throws SSLPeerUnverifiedException {
            if (first.compareAndSet(null, peer)) {
                return;
            }
            X509Certificate f = first.get();
            if (!f.equals(peer)) {
                throw new SSLPeerUnverifiedException("the peer's certificate " + Certificates.describe(peer)
                        + " differs from the one " + Certificates.describe(f) + " that " + who
                        + "'s first channel presented; every channel of a session must come from the same peer");
            }
        }

        @Override
        public void refused(String message) {
            refusal.compareAndSet(null, message);
        }

        @Override
        public String firstRefusal() {
            return refusal.get();
        }
    }
}
