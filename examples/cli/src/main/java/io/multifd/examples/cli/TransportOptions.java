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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.UnixTransport;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Set;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Where {@code send} connects and {@code recv} listens (TCP {@code HOST:PORT} or a Unix domain
 * socket file), and the timeout of a stalled channel: the picocli groups and mixin both commands
 * share. Filled by the parser on the main thread, read-only afterwards.
 */
public final class TransportOptions {

    private TransportOptions() {
    }

    /** {@code send}: {@code --connect HOST:PORT} or {@code --unix PATH}, exactly one. */
    public static final class Connect {
        @Option(names = "--connect", required = true, paramLabel = "HOST:PORT", converter = Converters.Address.class,
                description = "The receiver's TCP address. A receiver not listening yet is retried until "
                        + "--connect-timeout.")
        HostPort address;

        @Option(names = "--unix", required = true, paramLabel = "PATH",
                description = "Instead of --connect: the receiver's Unix domain socket file (same host); retried "
                        + "until --connect-timeout while it does not exist yet.")
        Path socket;

        /** Made by picocli. */
        public Connect() {
        }

        /**
         * The connector to the receiver.
         *
         * @return a TCP or Unix domain socket connector
         * @throws UsageException if the host name cannot be resolved
         */
        TransportConnector connector() {
            return socket != null ? UnixTransport.connector(socket.toAbsolutePath())
                    : TcpTransport.connector(address.resolve());
        }

        /** The receiver's address as the user gave it: {@code 127.0.0.1:5000} or {@code unix:/run/m.sock}. */
        @Override
        public String toString() {
            return socket != null ? "unix:" + socket : address.toString();
        }
    }

    /** {@code recv}: {@code --listen HOST:PORT} or {@code --unix PATH}, exactly one. */
    public static final class Listen {
        @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = Converters.Address.class,
                description = "Where to listen, e.g. 127.0.0.1:5000 or 0.0.0.0:5000; port 0 picks a free port.")
        HostPort address;

        @Option(names = "--unix", required = true, paramLabel = "PATH",
                description = "Instead of --listen: a Unix domain socket file to create (it must not exist; "
                        + "it is removed once every channel connected, or on failure).")
        Path socket;

        /** Made by picocli. */
        public Listen() {
        }

        /**
         * Checks what can be checked before listening.
         *
         * @param allowedUsers the {@code --unix-allow-user} values
         */
        void check(List<String> allowedUsers) {
            if (!allowedUsers.isEmpty() && socket == null) {
                throw new UsageException("--unix-allow-user needs --unix (a TCP peer has no user to check)");
            }
            if (socket != null) {
                Path abs = socket.toAbsolutePath();
                if (abs.getParent() != null && !Files.isDirectory(abs.getParent())) {
                    throw new UsageException("--unix: directory '" + abs.getParent() + "' does not exist");
                }
            } else {
                address.resolve();
            }
        }

        /**
         * Starts listening.
         *
         * @param allowedUsers with {@code --unix}: the only users whose processes may connect; empty for any
         * @return the listener, owned by the caller
         * @throws java.io.UncheckedIOException if the port is in use or the socket file exists, naming it
         */
        TransportListener listen(List<String> allowedUsers) {
            return socket != null ? UnixTransport.listen(socket.toAbsolutePath(), Set.copyOf(allowedUsers))
                    : TcpTransport.listen(address.resolve());
        }

        /**
         * Listens again where {@code previous} listened (the same port, even if the first one
         * was picked by the system), for a resumed post-copy.
         *
         * @param previous     the closed listener of the broken session
         * @param allowedUsers as for {@link #listen}
         * @return the new listener, owned by the caller
         */
        TransportListener listenAgain(TransportListener previous, List<String> allowedUsers) {
            if (previous instanceof TcpTransport.Listener tcp) {
                return TcpTransport.listen(tcp.localAddress());
            }
            return listen(allowedUsers);
        }

        /**
         * Where a listener listens, for the {@code listening on} line and the JSON:
         * {@code 127.0.0.1:40123} (with the port the system picked) or {@code unix:PATH}.
         *
         * @param listener what {@link #listen()} returned
         * @return the text
         */
        String where(TransportListener listener) {
            if (listener instanceof TcpTransport.Listener tcp) {
                return new HostPort(tcp.localAddress().getAddress().getHostAddress(),
                        tcp.localAddress().getPort()).toString();
            }
            return "unix:" + socket;
        }
    }

    /** {@code --io-timeout}: how long a channel may stall, on either side. */
    public static final class IoTimeout {
        @Option(names = "--io-timeout", paramLabel = "SECONDS", defaultValue = "30",
                description = "How long a channel may receive nothing (or send nothing) before the migration "
                        + "fails with exit status 3 (default: ${DEFAULT-VALUE}); idle senders keep the channels "
                        + "alive meanwhile. The handshake (TLS, hello, manifest and their replies) is bounded "
                        + "separately, by 10 s.")
        double seconds;

        /** Made by picocli. */
        public IoTimeout() {
        }

        /**
         * Sets the I/O timeout.
         *
         * @param builder the configuration being built
         * @return {@code builder}
         * @throws UsageException if the value is out of range (0.03 to 86400 seconds)
         */
        MultiFdConfig.Builder apply(MultiFdConfig.Builder builder) {
            if (!(seconds >= 0.03) || seconds > 86_400) {
                throw new UsageException("--io-timeout must be 0.03 to 86400 seconds: " + seconds);
            }
            return builder.ioTimeout(Duration.ofMillis(Math.round(seconds * 1000)));
        }
    }
}
