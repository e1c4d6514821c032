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
package io.multifd.core.channel;

import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;

import javax.net.ssl.SSLException;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;

/**
 * The one test of "the peer closed the connection" (end of stream, reset, broken pipe) that the
 * plaintext and TLS connect paths share: before the peer said anything, such a close is a
 * receiver not taking the connection (its cap on pending handshakes), which a sender may try
 * again; any other failure (a TLS alert, a timeout, a malformed reply) is not. Stateless; any
 * thread.
 */
public final class PeerClose {

    private PeerClose() {
    }

    /**
     * True if {@code e}, or the plain I/O failure a {@link ProtocolCode#TRANSPORT} error wraps,
     * says the connection ended: an {@link EOFException}, a {@link SocketException} (a reset),
     * or an {@link IOException} the operating system worded as a reset or a broken pipe (NIO
     * channels report a write to a closed peer as a plain {@code IOException}). A TLS failure is
     * never one (it means the peer spoke), nor any other {@link MultiFdException}: those are the
     * engine's own judgement of what arrived.
     *
     * @param e a failure of connecting, reading or writing; may be null
     * @return whether it says the peer closed the connection
     */
    public static boolean closedByPeer(Throwable e) {
        Throwable t = e instanceof MultiFdException m && m.code() == ProtocolCode.TRANSPORT ? m.getCause() : e;
        if (!(t instanceof IOException) || t instanceof SSLException || t instanceof MultiFdException) {
            return false;
        }
        if (t instanceof EOFException || t instanceof SocketException) {
            return true;
        }
        String message = t.getMessage();
        return message != null && (message.contains("Broken pipe") || message.contains("Connection reset"));
    }
}
