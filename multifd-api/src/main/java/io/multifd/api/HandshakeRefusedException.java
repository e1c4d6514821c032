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
 * The receiver refused a channel's hello or the session manifest, and said why.
 *
 * <p>On the sender, {@code connect()} throws a {@link MigrationFailedException} whose
 * {@linkplain #getCause() cause} is this exception (the failure happened on a channel thread;
 * the wrapper carries the caller's stack). {@link #code()} names the refused field, for instance
 * {@link ProtocolCode#SESSION_MISMATCH} or {@link ProtocolCode#SETUP_REFUSED}, and the message
 * carries the receiver's explanation. Nothing was written to the destination memory.
 */
public class HandshakeRefusedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    private final int channel;

    /**
     * @param code    the refused field
     * @param channel the channel whose hello (or manifest, on channel 0) was refused
     * @param message the receiver's explanation
     */
    public HandshakeRefusedException(ProtocolCode code, int channel, String message) {
        super(code, message);
        this.channel = channel;
    }

    /** The channel whose hello or manifest was refused. */
    public int channel() {
        return channel;
    }
}
