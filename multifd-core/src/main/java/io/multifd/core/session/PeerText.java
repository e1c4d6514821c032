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
 * Makes text a peer sent (or text derived from a peer, such as a certificate name or a reason in a
 * refusal) safe to put in a log line: printable ASCII is kept, every other character (control
 * characters, DEL, non-ASCII) becomes {@code \xNN} per UTF-8 byte, a backslash becomes
 * {@code \\}, and the result is capped at {@link #MAX_LENGTH} characters of the input, with
 * {@code ...} marking a cut. A peer therefore can neither forge log lines nor flood the log.
 *
 * <p>Stateless; any thread.
 */
public final class PeerText {

    /** How many characters of the peer's text are kept at most. */
    public static final int MAX_LENGTH = 500;

    private PeerText() {
    }

    /**
     * Escapes peer-provided text for a log line.
     *
     * @param text the peer's text; null gives {@code "null"}
     * @return the escaped text, printable ASCII only
     */
    public static String escape(String text) {
        if (text == null) {
            return "null";
        }
        int n = Math.min(text.length(), MAX_LENGTH);
        if (n < text.length() && Character.isHighSurrogate(text.charAt(n - 1))) {
            n--; // do not cut a surrogate pair in two
        }
        StringBuilder sb = new StringBuilder(n + 16);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                int cp = c;
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    cp = Character.toCodePoint(c, text.charAt(++i));
                }
                for (byte b : new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    sb.append(String.format("\\x%02X", b & 0xff));
                }
            }
        }
        if (n < text.length()) {
            sb.append("...");
        }
        return sb.toString();
    }
}
