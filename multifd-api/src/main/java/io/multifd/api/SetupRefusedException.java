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
 * A receiving payload plug-in refused its setup record from the session manifest: for instance
 * a RAM block whose name is unknown, whose length or page size differs from the registered
 * destination, or which exceeds the receiver's size limit. Thrown by the plug-in on the receiver;
 * the sender sees it as a {@link HandshakeRefusedException} with code
 * {@link ProtocolCode#SETUP_REFUSED} and the same message.
 */
public class SetupRefusedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the payload type, the field and the value refused
     */
    public SetupRefusedException(String message) {
        super(ProtocolCode.SETUP_REFUSED, message);
    }

    /**
     * @param message names the payload type, the field and the value refused
     * @param cause   the underlying exception, or {@code null}
     */
    public SetupRefusedException(String message, Throwable cause) {
        super(ProtocolCode.SETUP_REFUSED, message, cause);
    }
}
