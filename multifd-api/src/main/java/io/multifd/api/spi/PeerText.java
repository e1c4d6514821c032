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

/**
 * Makes text that came from the peer (abort and refusal reasons, codec parameters, names) safe to
 * put in a log line, an exception message or a terminal: it can then neither start a new log
 * line, move the cursor, change colours, nor hide characters. The one escaping rule of the
 * library: the core uses it for abort and refusal reasons, codec parameters and dropped
 * connections, and plug-ins should use it for whatever their peer names (block names, device ids)
 * before it reaches a message. Stateless; any thread.
 */
public final class PeerText {

    /** The most characters of peer text kept; the rest is replaced by {@code ...(N more)}. */
    public static final int MAX_CHARS = 200;

    private PeerText() {
    }

    /**
     * Escapes peer text: printable ASCII (quotes included) is kept, a backslash is doubled (so
     * the output cannot be mistaken for an escape the peer typed); a control
     * character or DEL becomes {@code \xNN}; any other character (non-ASCII, including invisible
     * and bidirectional controls) becomes {@code \}{@code uNNNN}. At most {@link #MAX_CHARS}
     * characters of the input are kept; the remainder is counted as {@code ...(N more)}.
     *
     * @param s the peer's text, possibly null
     * @return the escaped text, only printable ASCII; {@code "null"} for null
     */
    public static String escape(String s) {
        return escape(s, MAX_CHARS);
    }

    /**
     * Escapes peer text as {@link #escape(String)} does, keeping up to {@code maxChars} characters
     * of the input (for texts with their own wire cap, such as a receiver's refusal reason).
     *
     * @param s        the peer's text, possibly null
     * @param maxChars how many characters of {@code s} to keep, at least 0
     * @return the escaped text, only printable ASCII; {@code "null"} for null
     */
    public static String escape(String s, int maxChars) {
        if (s == null) {
            return "null";
        }
        int keep = Math.min(s.length(), Math.max(0, maxChars));
        StringBuilder out = new StringBuilder(keep + 16);
        for (int i = 0; i < keep; i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                out.append("\\\\"); // doubled: a peer's literal "\x41" cannot pass for an escape
            } else if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else if (c < 0x80) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        if (s.length() > keep) {
            out.append("...(").append(s.length() - keep).append(" more)");
        }
        return out.toString();
    }
}
