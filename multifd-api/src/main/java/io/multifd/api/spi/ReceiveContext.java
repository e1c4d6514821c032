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
package io.multifd.api.spi;

import io.multifd.api.MultiFdConfig;
import io.multifd.api.SessionId;

import java.util.concurrent.ThreadFactory;

/**
 * What the receiver tells a payload plug-in about the session. Thread-safe.
 */
public interface ReceiveContext {

    /** The session id fixed by the first accepted hello. */
    SessionId sessionId();

    /** The number of channels the sender announced. */
    int channelCount();

    /** The receiver's configuration (caps and timeouts). */
    MultiFdConfig config();

    /**
     * A factory for a plug-in's own threads (such as one loader thread per device). They come
     * from the thread factory the application gave the receiver, if any (daemon threads
     * otherwise), and their names start with {@code multifd-} and carry the short session id; a
     * plug-in may append to a name but should not replace it. The plug-in must end them on
     * {@link PayloadReceiver#abort} and before {@link PayloadReceiver#close()} returns.
     *
     * @param purpose a short word naming what the threads do, e.g. {@code "load"}
     * @return a thread factory
     */
    ThreadFactory threadFactory(String purpose);

    /**
     * Fails the migration from a plug-in's own thread (for instance a loader that threw). The
     * first failure wins; later ones are ignored. Every channel is closed and the sender is told.
     *
     * @param cause what went wrong
     */
    void fail(Throwable cause);

    /**
     * The session's return path for one payload type: how that payload's receiving side sends
     * short messages back to its sending side (post-copy page requests, for instance). Available
     * if the sender registered a return handler for any payload type; a message of a type the
     * sender has no handler for fails the migration, so a plug-in sends only when its own setup
     * record says the sender expects it. The default has none.
     *
     * @param payloadType the payload's wire id ({@link PayloadPlugin#id()}), which tags its messages
     * @return the return path, or {@link ReturnPath#NONE}
     */
    default ReturnPath returnPath(int payloadType) {
        return ReturnPath.NONE;
    }
}
