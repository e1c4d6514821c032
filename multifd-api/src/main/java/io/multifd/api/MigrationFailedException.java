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
 * Thrown by every call that was blocked, or is made, after the migration failed; its
 * {@linkplain #getCause() cause} is the first error, whichever channel or thread saw it.
 *
 * <p>A new instance is thrown at each call site, so the stack trace shows where the caller was,
 * and the cause shows what went wrong first. {@link #code()} is the first error's code.
 */
public class MigrationFailedException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message    what the caller was doing, e.g. {@code "send failed"}
     * @param firstCause the first error of the migration
     */
    public MigrationFailedException(String message, Throwable firstCause) {
        super(firstCause instanceof MultiFdException m ? m.code() : ProtocolCode.FAILED,
                message + ": " + (firstCause.getMessage() != null ? firstCause.getMessage() : firstCause.toString()),
                firstCause);
    }
}
