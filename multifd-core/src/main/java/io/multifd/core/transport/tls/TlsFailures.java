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

import java.io.EOFException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * What ended a TLS handshake or record exchange, in words an operator can act on: JSSE's
 * exception chains and alert names turned into one reason, and whether this end refused the peer
 * (its certificate, names or identity) rather than the connection failing. Stateless; any thread.
 */
final class TlsFailures {

    private TlsFailures() {
    }

    /** True if this end refused the peer (its certificate, names or identity), not a failure of the connection. */
    static boolean localRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SSLPeerUnverifiedException
                    || (t instanceof CertificateException && t.getMessage() != null && t.getMessage().startsWith("the peer"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * True if {@code e} carries a TLS alert by which the peer refused us (our certificate, our
     * names, or no protocol in common). In TLS 1.3 a client has finished its side of the handshake
     * before the server checks the client's certificate, so the sender meets the receiver's
     * refusal as an alert on its first read, not as a failed handshake.
     */
    static boolean refusedByPeer(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int at = m.indexOf(ALERT);
        if (at < 0) {
            return false;
        }
        return switch (m.substring(at + ALERT.length()).trim()) {
            case "bad_certificate", "certificate_unknown", "unknown_ca", "certificate_expired", "certificate_revoked",
                    "unsupported_certificate", "access_denied", "certificate_required", "protocol_version",
                    "handshake_failure", "insufficient_security" -> true;
            default -> false;
        };
    }

    private static final String ALERT = "Received fatal alert: "; // JDK 17 "Received fatal alert: x", 25 "(x) Received ..."

    /** A reason an operator can act on, from the JSSE exception chain. */
    static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertificateException && t.getMessage() != null && t.getMessage().startsWith("the peer")) {
                return t.getMessage();
            }
        }
        String m = String.valueOf(e.getMessage());
        if (e instanceof EOFException) {
            return m;
        }
        if (!(e instanceof SSLException) && m.contains("Connection reset")) {
            return "the peer reset the connection during the TLS handshake (a plaintext peer, or one that refused us?)";
        }
        int at = m.indexOf(ALERT);
        if (at >= 0) {
            String alert = m.substring(at + ALERT.length()).trim();
            String hint = switch (alert) {
                case "bad_certificate", "certificate_unknown", "unknown_ca", "certificate_expired",
                        "certificate_revoked", "unsupported_certificate", "access_denied" ->
                        " (it does not accept our certificate)";
                case "certificate_required" -> " (it requires a certificate and we presented none)";
                case "protocol_version", "handshake_failure", "insufficient_security" ->
                        " (no protocol version or cipher suite in common)";
                case "bad_record_mac" -> " (our records reached it changed: something on the way alters the stream)";
                default -> "";
            };
            return "the peer refused the handshake with the TLS alert '" + alert + "'" + hint;
        }
        if (m.contains("Unsupported or unrecognized SSL message") || m.contains("plaintext connection")
                || m.contains("Plaintext connection")) {
            return "the peer does not speak TLS (a plaintext sender or receiver?)";
        }
        if (m.contains("Tag mismatch") || m.contains("bad_record_mac")) {
            return "a TLS record failed its integrity check: the stream was changed on the way (" + m + ")";
        }
        if (m.contains("Empty client certificate chain") || m.contains("Empty server certificate chain")) {
            return "the peer presented no certificate";
        }
        if (m.contains("No appropriate protocol") || m.contains("protocol is disabled")) {
            return "no protocol version in common (" + m + ")";
        }
        return m;
    }
}
