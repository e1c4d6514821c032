/**
 * Mutual TLS for the socket transports, on the JDK's own JSSE: {@link io.multifd.core.transport.tls.TlsTransport}
 * wraps a TCP or Unix-domain connector or listener, {@link io.multifd.core.transport.tls.TlsConfig} says who this
 * end is and whom it trusts (an {@code SSLContext}, or PEM certificate, PKCS#8 key and trust file).
 */
package io.multifd.core.transport.tls;
