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

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts the certificates of a trust file: a CA certificate trusts what it signed (PKIX, with
 * the JDK's own path validation), and a peer's own certificate listed there is pinned: it is
 * trusted as it is, and it is the peer's identity, so the host-name check is skipped for it. A
 * trusted peer must also claim one of the allowed peer names, if any are set: refused here, in the
 * handshake, the peer is told by a TLS alert. Every rejection names the certificate and why. Thread-safe (the JSSE engines of all channels share it).
 */
final class PeerTrustManager extends X509ExtendedTrustManager {

    private final X509ExtendedTrustManager pkix;
    private final List<X509Certificate> trusted;
    private final Set<String> allowed;

    /**
     * @param trusted the trust file's certificates
     * @param allowed the allowed peer names, normalised; empty allows any trusted peer
     */
    PeerTrustManager(List<X509Certificate> trusted, Set<String> allowed) {
        this.trusted = List.copyOf(trusted);
        this.allowed = Set.copyOf(allowed);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : trusted) {
                ks.setCertificateEntry("trusted-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(ks);
            X509ExtendedTrustManager found = null;
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    found = x;
                }
            }
            if (found == null) {
                throw new IllegalStateException("the JDK's PKIX trust manager factory made no X.509 trust manager");
            }
            this.pkix = found;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build a trust store in memory: " + e.getMessage(), e);
        }
    }

    /** True if the peer's own certificate is listed in the trust file. */
    boolean pinned(X509Certificate leaf) {
        return trusted.contains(leaf);
    }

    private void check(X509Certificate[] chain, String authType, SSLEngine engine, boolean server)
            throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the peer presented no certificate");
        }
        X509Certificate leaf = chain[0];
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new CertificateException("the peer's certificate " + Certificates.describe(leaf) + " expired on "
                    + leaf.getNotAfter().toInstant(), e);
        } catch (CertificateNotYetValidException e) {
            throw new CertificateException("the peer's certificate " + Certificates.describe(leaf)
                    + " is not valid before " + leaf.getNotBefore().toInstant(), e);
        }
        try {
            boolean pin = pinned(leaf);
            if (server) {
                if (pin || engine == null) {
                    pkix.checkServerTrusted(pin ? new X509Certificate[] {leaf} : chain, authType);
                } else {
                    pkix.checkServerTrusted(chain, authType, engine);
                }
            } else {
                pkix.checkClientTrusted(pin ? new X509Certificate[] {leaf} : chain, authType);
            }
        } catch (CertificateException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            if (why.contains("No subject alternative") || why.contains("No name matching")) {
                throw new CertificateException("the peer's certificate " + Certificates.describe(leaf)
                        + " does not name the host it was reached at (" + why + "); list the peer's certificate in"
                        + " the trust file to pin it, or allow its names explicitly", e);
            }
            throw new CertificateException("the peer's certificate " + Certificates.describe(leaf)
                    + " is not trusted (" + why + ")", e);
        }
        String refusal = TlsTransport.notAllowed(allowed, leaf);
        if (refusal != null) {
            throw new CertificateException(refusal);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, authType, engine, false);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, authType, engine, true);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, authType, null, false);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, authType, null, true);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, authType, null, false);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, authType, null, true);
    }

    /**
     * None: the peer is not told which CAs are trusted, so it presents its certificate whatever
     * it is, and a refusal can name that certificate (instead of "no certificate").
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
