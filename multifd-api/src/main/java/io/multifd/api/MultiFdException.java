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

import java.io.IOException;

/**
 * The root of the exceptions a migration reports.
 *
 * <p>Checked, and an {@link IOException}, because a migration is I/O: a peer may disconnect,
 * refuse, send garbage or stall, and callers are expected to handle that. Misuse of the API (a
 * call in the wrong state, a bad argument) throws {@link IllegalStateException} or
 * {@link IllegalArgumentException} instead.
 *
 * <p>Every exception carries a {@link #code()} that says what kind of failure it was; the message
 * names the channel and the field when there is one.
 */
public class MultiFdException extends IOException {

    private static final long serialVersionUID = 1L;

    private final ProtocolCode code;

    /**
     * @param code    what kind of failure
     * @param message the message, naming the channel and the field where there is one
     * @param cause   the cause, or {@code null}
     */
    public MultiFdException(ProtocolCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code == null ? ProtocolCode.FAILED : code;
    }

    /**
     * @param code    what kind of failure
     * @param message the message
     */
    public MultiFdException(ProtocolCode code, String message) {
        this(code, message, null);
    }

    /** What kind of failure this is. */
    public ProtocolCode code() {
        return code;
    }
}
