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
package io.multifd.core.transport;

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Unix domain socket channels (JDK 16+ {@link SocketChannel}s of family UNIX): for a sender and
 * receiver on the same host. The listener creates the socket file and removes it when closed
 * (which the receiver does once every channel has connected, or on failure).
 */
public final class UnixTransport {

    private UnixTransport() {
    }

    /**
     * A connector to the socket file {@code path}; a missing file or a refused connection is
     * retried until the connect timeout.
     *
     * @param path the socket file
     * @return the connector; thread-safe
     */
    public static TransportConnector connector(Path path) {
        Objects.requireNonNull(path, "path");
        UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
        return new TransportConnector() {
            @Override
            public TransportChannel connect(int channelId, Duration timeout) throws IOException {
                return Retry.connect("unix " + path, timeout.toNanos(), left -> {
                    boolean existed = Files.exists(path); // before the attempt: the receiver may create it meanwhile
                    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                    try {
                        ch.connect(address);
                        return new SocketTransportChannel(ch, "unix " + path + " (channel " + channelId + ")");
                    } catch (SocketException e) {
                        ch.close();
                        if (!existed || !Files.exists(path)) { // "No such file or directory": not listening yet
                            throw new NoSuchFileException(path.toString(), null, "no socket file yet: " + e.getMessage());
                        }
                        throw e;
                    } catch (IOException | RuntimeException e) {
                        ch.close();
                        throw e;
                    }
                });
            }

            @Override
            public String description() {
                return "unix " + path;
            }

            @Override
            public String toString() {
                return description();
            }
        };
    }

    /**
     * Creates the socket file, mode 0600, and listens on it: only this user (and root) can
     * connect. See {@link #listen(Path, Set)}.
     *
     * @param path the socket file; must not exist (a leftover file is not removed for you: it
     *             may belong to a running receiver)
     * @return the listener; closing it removes the file
     * @throws UncheckedIOException if the file exists or cannot be created, naming the path
     */
    public static Listener listen(Path path) {
        return listen(path, Set.of());
    }

    /**
     * Creates the socket file and listens on it, accepting only peers running as one of
     * {@code allowedUsers}. The file is bound inside a new private directory (mode 0700) beside
     * {@code path}, set to mode 0600 and then linked to {@code path}, so that no other user can
     * connect at any moment, whatever the umask. With an allow-list, each accepted connection's
     * peer credentials ({@code SO_PEERCRED}) are read on the accepting thread; a peer whose user is
     * not allowed is closed at once and logged (a warning naming the user), and the listener goes
     * on accepting.
     *
     * @param path         the socket file; must not exist
     * @param allowedUsers user names (a user without a name appears as its numeric id); empty to
     *                     allow every user that can open the file (with mode 0600: this user,
     *                     and root)
     * @return the listener; closing it removes the file
     * @throws UncheckedIOException     if the file exists or cannot be created, naming the path
     * @throws IllegalArgumentException if {@code allowedUsers} is not empty and this platform
     *                                  cannot tell a peer's user
     */
    public static Listener listen(Path path, Set<String> allowedUsers) {
        Objects.requireNonNull(path, "path");
        Set<String> allowed = Set.copyOf(allowedUsers);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new UncheckedIOException(new IOException("cannot listen on unix " + path
                    + ": the file exists (another receiver, or a leftover: remove it first)"));
        }
        if (!allowed.isEmpty() && !ExtendedSocketOptions.SO_PEERCRED.type().equals(UnixDomainPrincipal.class)) {
            throw new IllegalArgumentException("allowed users for unix " + path
                    + ": this platform cannot tell the peer's user (no SO_PEERCRED)");
        }
        ServerSocketChannel server = null;
        try {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            bindPrivately(server, path);
            return new Listener(server, path, allowed);
        } catch (IOException e) {
            closeQuietly(server);
            throw new UncheckedIOException("cannot listen on unix " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(server);
            throw e;
        }
    }

    private static void closeQuietly(ServerSocketChannel server) {
        if (server != null) {
            try {
                server.close();
            } catch (IOException ignored) {
                // the error that made us close it is reported
            }
        }
    }

    /** The longest socket path that binds everywhere ({@code sun_path} is 104 or 108 bytes). */
    private static final int MAX_SOCKET_PATH = 100;

    private static final int BACKLOG = 256;

    /**
     * Binds {@code server} so that the socket file at {@code path} has mode 0600 before anyone
     * else can reach it: bound in a private directory, its mode set, then hard-linked to
     * {@code path} (which fails if {@code path} appeared meanwhile). Where the private path would
     * be too long for a socket address, or the file system has no POSIX permissions, it binds at
     * {@code path} and sets the mode right after.
     */
    private static void bindPrivately(ServerSocketChannel server, Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        Path parent = abs.getParent();
        boolean posix = abs.getFileSystem().supportedFileAttributeViews().contains("posix");
        Set<PosixFilePermission> rw = PosixFilePermissions.fromString("rw-------");
        if (!posix || parent == null
                || (parent + "/.multifd-0123456789012345678/s").getBytes(StandardCharsets.UTF_8).length
                > MAX_SOCKET_PATH) {
            server.bind(UnixDomainSocketAddress.of(path), BACKLOG);
            if (posix) {
                Files.setPosixFilePermissions(path, rw);
            }
            return;
        }
        Path dir = Files.createTempDirectory(parent, ".multifd-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path inner = dir.resolve("s");
        try {
            server.bind(UnixDomainSocketAddress.of(inner), BACKLOG);
            Files.setPosixFilePermissions(inner, rw);
            Files.createLink(abs, inner);
        } finally {
            Files.deleteIfExists(inner);
            Files.deleteIfExists(dir);
        }
    }

    /** A listening Unix domain socket; {@link #close()} removes its file. */
    public static final class Listener extends SocketListener {
        private final Path path;
        private final Set<String> allowedUsers;

        private Listener(ServerSocketChannel server, Path path, Set<String> allowedUsers) throws IOException {
            super(server, "unix", ch -> "unix " + path + peerText(ch));
            this.path = path;
            this.allowedUsers = allowedUsers;
        }

        /**
         * The socket file.
         *
         * @return the path given to {@link UnixTransport#listen(Path)}
         */
        public Path path() {
            return path;
        }

        /**
         * The socket file's address (the socket was bound under a private name first, which the
         * channel itself may still report).
         *
         * @return the address of {@link #path()}
         */
        @Override
        public java.net.SocketAddress localAddress() {
            return UnixDomainSocketAddress.of(path);
        }

        /**
         * The users this listener accepts.
         *
         * @return the allowed user names; empty if every user that can open the file is accepted
         */
        public Set<String> allowedUsers() {
            return allowedUsers;
        }

        @Override
        String refusal(SocketChannel ch) throws IOException {
            if (allowedUsers.isEmpty()) {
                return null;
            }
            String user = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
            return allowedUsers.contains(user) ? null
                    : "peer user '" + user + "' is not among the allowed users " + new TreeSet<>(allowedUsers);
        }

        @Override
        void released() {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                System.getLogger(UnixTransport.class.getName()).log(System.Logger.Level.WARNING,
                        "could not remove socket file " + path + ": " + e);
            }
        }

        @Override
        String addressText() {
            return path.toString();
        }
    }

    /**
     * The peer's credentials of a connected Unix domain socket, for an allow-list or a log line.
     * Any thread.
     *
     * @param ch a connected Unix domain socket channel
     * @return the peer's user and group, or empty where the platform cannot tell
     */
    public static Optional<UnixDomainPrincipal> peerCredentials(SocketChannel ch) {
        try {
            if (ch.supportedOptions().contains(ExtendedSocketOptions.SO_PEERCRED)) {
                return Optional.of(ch.getOption(ExtendedSocketOptions.SO_PEERCRED));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // the platform cannot tell: below
        }
        return Optional.empty();
    }

    private static String peerText(SocketChannel ch) {
        return peerCredentials(ch).map(p -> " (peer user " + p.user().getName() + ")").orElse("");
    }
}
