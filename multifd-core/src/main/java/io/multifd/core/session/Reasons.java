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
package io.multifd.core.session;

/**
 * The one-line reason of a failure, for logs, ABORT and ERROR messages and recordings: its
 * message, or, when it has none (a plug-in's {@code NullPointerException}, a bare
 * {@code BufferUnderflowException}), its class's simple name and its cause's reason, never
 * {@code "null"}. Stateless; any thread.
 */
public final class Reasons {

    private Reasons() {
    }

    /**
     * @param t the failure
     * @return its reason, never null or blank
     */
    public static String of(Throwable t) {
        if (t == null) {
            return "unknown failure";
        }
        String m = t.getMessage();
        if (m != null && !m.isBlank()) {
            return m;
        }
        Throwable c = t.getCause();
        return t.getClass().getSimpleName() + (c != null && c != t ? " (" + of(c) + ")" : "");
    }
}
