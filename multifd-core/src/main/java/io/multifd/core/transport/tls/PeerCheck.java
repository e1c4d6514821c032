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
import java.security.cert.X509Certificate;

/**
 * What the channels of one connector or listener (one session) share: checks an authenticated
 * peer before any data moves, and remembers the first refusal. Thread-safe: every channel of the
 * session calls it from its own handshaking thread.
 */
interface PeerCheck {

    /**
     * Checks a peer whose handshake just completed (allowed names; on a connector also the same
     * identity as the session's first channel).
     *
     * @param channel the channel
     * @param peer    its peer's certificate
     * @throws IOException naming why the peer is refused
     */
    void check(TlsChannel channel, X509Certificate peer) throws IOException;

    /**
     * Checks a peer whose connection the receiver admitted into its session: on a listener, the
     * first admitted channel fixes the session's identity and every later one must present it.
     *
     * @param channel the channel
     * @param peer    its peer's certificate
     * @throws IOException naming why the peer is refused
     */
    void admitted(TlsChannel channel, X509Certificate peer) throws IOException;

    /**
     * Remembers that a channel of the session refused its peer; the first one wins.
     *
     * @param message the refusal
     */
    void refused(String message);

    /** The first refusal of the session, or null. */
    String firstRefusal();
}
