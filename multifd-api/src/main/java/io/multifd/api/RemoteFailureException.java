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
 * The peer reported that the migration failed on its side, with its first cause as text.
 *
 * <p>On the sender this is the receiver's ERROR reply (for instance a payload plug-in that
 * refused a packet, or a device loader that threw); on the receiver it is the sender's ABORT.
 * {@link #code()} is the peer's code for the failure.
 */
public class RemoteFailureException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param code    the peer's code for the failure
     * @param message the peer's description, prefixed by who reported it
     */
    public RemoteFailureException(ProtocolCode code, String message) {
        super(code, message);
    }
}
