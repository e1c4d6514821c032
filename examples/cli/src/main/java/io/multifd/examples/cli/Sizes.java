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
package io.multifd.examples.cli;

import java.util.Locale;

/**
 * Parses and prints byte sizes as the command line writes them: {@code 4096}, {@code 4K},
 * {@code 512M}, {@code 1G}, {@code 2T}; suffixes are powers of 1024, case-insensitive, and may
 * be followed by {@code iB} or {@code B} ({@code 512MiB}, {@code 64mb}). Stateless; any thread.
 */
public final class Sizes {

    private Sizes() {
    }

    /**
     * Parses a size.
     *
     * @param text the text, such as {@code 512M}
     * @return the size in bytes, 0 or more
     * @throws IllegalArgumentException with one line that says what is wrong and what is accepted
     */
    public static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw bad(text, "empty");
        }
        String t = text.trim();
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.endsWith("ib")) {
            lower = lower.substring(0, lower.length() - 2);
        } else if (lower.endsWith("b") && lower.length() > 1) {
            lower = lower.substring(0, lower.length() - 1);
        }
        int shift = 0;
        if (!lower.isEmpty()) {
            switch (lower.charAt(lower.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = 0;
            }
        }
        String digits = shift == 0 ? lower : lower.substring(0, lower.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(text, "not a whole number with an optional K, M, G or T suffix");
        }
        long n;
        try {
            n = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw bad(text, "too large");
        }
        if (n > (Long.MAX_VALUE >> shift)) {
            throw bad(text, "too large");
        }
        return n << shift;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("'" + text + "' is not a size (" + why
                + "); use e.g. 4096, 4K, 512M or 1G (powers of 1024)");
    }

    /**
     * Prints a size for people: {@code 1.00 GiB}, {@code 512.0 MiB}, {@code 4.0 KiB}, {@code 100 B}.
     *
     * @param bytes the size
     * @return the text
     */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s", v, units[u]);
    }

    /**
     * Prints a size in the shortest exact command-line form: {@code 1G}, {@code 512M}, {@code 4097}.
     *
     * @param bytes the size
     * @return the text, accepted by {@link #parse(String)}
     */
    public static String compact(long bytes) {
        String[] suffix = {"T", "G", "M", "K"};
        int[] shift = {40, 30, 20, 10};
        for (int i = 0; i < suffix.length; i++) {
            long unit = 1L << shift[i];
            if (bytes != 0 && bytes % unit == 0) {
                return (bytes / unit) + suffix[i];
            }
        }
        return Long.toString(bytes);
    }
}
