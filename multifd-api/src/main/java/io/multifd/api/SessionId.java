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

import java.security.SecureRandom;
import java.util.Locale;
import java.util.Objects;

/**
 * The 128-bit identifier of one migration session.
 *
 * <p>The sender picks a random one per migration and sends it in every channel's hello; the
 * receiver fixes the session id with the first accepted hello and refuses any later channel that
 * carries another one. It is an identifier, not a secret: it prevents mix-ups between migrations,
 * not attacks (use an authenticated transport for that). Immutable and thread-safe.
 *
 * @param high the most significant 64 bits
 * @param low  the least significant 64 bits
 */
public record SessionId(long high, long low) {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Returns a new random session id. Thread-safe. */
    public static SessionId random() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        long h = 0;
        long l = 0;
        for (int i = 0; i < 8; i++) {
            h = (h << 8) | (b[i] & 0xFF);
            l = (l << 8) | (b[8 + i] & 0xFF);
        }
        return new SessionId(h, l);
    }

    /**
     * Parses the form {@link #toString()} prints: 32 hexadecimal digits, optionally with dashes.
     *
     * @param text the text
     * @return the id
     * @throws IllegalArgumentException if the text is not 32 hex digits
     */
    public static SessionId parse(String text) {
        Objects.requireNonNull(text, "text");
        String hex = text.replace("-", "");
        if (hex.length() != 32 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("session id must be 32 hexadecimal digits: '" + text + "'");
        }
        return new SessionId(Long.parseUnsignedLong(hex.substring(0, 16), 16),
                Long.parseUnsignedLong(hex.substring(16), 16));
    }

    /** Prints the id as 8-4-4-4-12 lower-case hexadecimal digits. */
    @Override
    public String toString() {
        String h = String.format(Locale.ROOT, "%016x", high);
        String l = String.format(Locale.ROOT, "%016x", low);
        return h.substring(0, 8) + "-" + h.substring(8, 12) + "-" + h.substring(12) + "-"
                + l.substring(0, 4) + "-" + l.substring(4);
    }
}
