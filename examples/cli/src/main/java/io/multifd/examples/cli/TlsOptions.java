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

import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.transport.tls.TlsConfig;
import io.multifd.core.transport.tls.TlsTransport;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLS options of {@code send} and {@code recv} (a picocli mixin): with {@code --tls-cert},
 * {@code --tls-key} and {@code --tls-trust} every channel runs mutual TLS; without them, plain
 * TCP. Read by the command's thread only.
 */
public final class TlsOptions {

    @Option(names = "--tls-cert", paramLabel = "FILE", order = 50,
            description = "Mutual TLS: this end's certificate (PEM; chain with its own certificate first). "
                    + "Needs --tls-key and --tls-trust. Make one with: multifd keygen.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", order = 51,
            description = "Mutual TLS: this end's private key (unencrypted PKCS#8 PEM, RSA or EC).")
    Path key;

    @Option(names = "--tls-trust", paramLabel = "FILE", order = 52,
            description = "Mutual TLS: the peers' certificates (pinned) or CA certificates to trust (PEM, one or more).")
    Path trust;

    @Option(names = "--tls-allow", paramLabel = "NAME", order = 53,
            description = "Mutual TLS: accept only a peer whose certificate names NAME (repeatable; "
                    + "default: any peer the trust file vouches for).")
    List<String> allow = new ArrayList<>();

    /** Made by picocli. */
    public TlsOptions() {
    }

    /**
     * @return the TLS config, or null for plain TCP
     * @throws UsageException if only some of the TLS files were given, or one is missing, not a
     *                        regular file, unreadable, or not the PEM its option needs
     */
    TlsConfig config() {
        if (cert == null && key == null && trust == null) {
            if (!allow.isEmpty()) {
                throw new UsageException("--tls-allow needs --tls-cert, --tls-key and --tls-trust");
            }
            return null;
        }
        if (cert == null || key == null || trust == null) {
            throw new UsageException("TLS needs all of --tls-cert, --tls-key and --tls-trust (missing: "
                    + (cert == null ? "--tls-cert " : "") + (key == null ? "--tls-key " : "")
                    + (trust == null ? "--tls-trust" : "").trim() + ")");
        }
        checkFile("--tls-cert", cert);
        checkFile("--tls-key", key);
        checkFile("--tls-trust", trust);
        try {
            return TlsConfig.builder().identityPem(cert, key).trustPem(trust).allowedPeerNames(allow).build();
        } catch (UncheckedIOException | IllegalArgumentException e) {
            // a file that is not what its option needs is the command line's fault: exit 2
            String why = e instanceof UncheckedIOException u ? u.getCause().getMessage() : e.getMessage();
            throw new UsageException("cannot use the TLS files: " + why);
        }
    }

    private static void checkFile(String option, Path p) {
        if (p.toString().isEmpty()) {
            throw new UsageException(option + " is empty: give a PEM file");
        }
        if (Files.isDirectory(p)) {
            throw new UsageException(option + " '" + p + "' is a directory, not a PEM file");
        }
        if (!Files.exists(p)) {
            throw new UsageException(option + " '" + p + "' does not exist");
        }
        if (!Files.isRegularFile(p)) {
            throw new UsageException(option + " '" + p + "' is not a regular file");
        }
        if (!Files.isReadable(p)) {
            throw new UsageException(option + " '" + p + "' is not readable");
        }
    }

    /**
     * The TLS config of the in-process warm-up ({@link Warmup}): this end's own identity on both
     * ends of a loopback connection, its own certificate as the only one trusted, so that the
     * warm-up runs the JDK's TLS code (AES-GCM compiles late, and only with traffic) without any
     * other trust. The options must have been checked by {@link #config()} first.
     *
     * @return the config, or null for plain TCP
     */
    TlsConfig warmUpConfig() {
        if (cert == null) {
            return null;
        }
        return TlsConfig.builder().identityPem(cert, key).trustPem(cert).verifyHostName(false).build();
    }

    /**
     * The sender's connector: TLS over TCP or the Unix socket if configured, else the plain one.
     *
     * @param connect where the receiver is
     * @return the connector
     * @throws UsageException if the TLS options are incomplete
     */
    TransportConnector connector(TransportOptions.Connect connect) {
        TlsConfig tls = config();
        if (tls == null) {
            return connect.connector();
        }
        return connect.socket != null ? TlsTransport.unixConnector(connect.socket.toAbsolutePath(), tls)
                : TlsTransport.tcpConnector(connect.address.resolve(), tls);
    }

    /**
     * The receiver's listener: {@code plain} wrapped in TLS if configured (closing it closes
     * {@code plain}).
     *
     * @param plain the TCP or Unix listener
     * @return the listener to hand to the receiver
     * @throws UsageException if the TLS options are incomplete
     */
    TransportListener listener(TransportListener plain) {
        TlsConfig tls = config();
        return tls == null ? plain : TlsTransport.listener(plain, tls);
    }
}
