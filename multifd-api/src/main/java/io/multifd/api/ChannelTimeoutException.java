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
package io.multifd.api;

/**
 * A blocking operation did not make progress within its configured timeout: a connect, an
 * accept, a read that received nothing, a write the peer did not drain, or a peer that did not
 * answer at the end of the migration. The message names the channel, the operation and the
 * timeout. The migration fails.
 *
 * <p>One exception: a caller's own bounded wait for the end, {@code MultiFdReceiver.await(Duration)},
 * throws it when its time is up while the migration goes on (as {@code Future.get} with a timeout
 * would); its message says so. Wait again, or {@code close()} the receiver to abort.
 */
public class ChannelTimeoutException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the channel, what was being waited for, and how long
     */
    public ChannelTimeoutException(String message) {
        super(ProtocolCode.TIMEOUT, message);
    }

    /**
     * @param message names the channel, what was being waited for, and how long
     * @param cause   the exception the interrupted call threw (usually an asynchronous close)
     */
    public ChannelTimeoutException(String message, Throwable cause) {
        super(ProtocolCode.TIMEOUT, message, cause);
    }
}
