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
 * A plug-in that the configuration selects cannot be used: no provider with that name or id is
 * on the class path or module path, or its native library failed to load (the cause is the
 * original {@link LinkageError}). Other plug-ins keep working.
 */
public class PluginUnavailableException extends MultiFdException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message names the plug-in and why it is unavailable
     * @param cause   the original failure, or {@code null}
     */
    public PluginUnavailableException(String message, Throwable cause) {
        super(ProtocolCode.UNKNOWN_CODEC, message, cause);
    }
}
