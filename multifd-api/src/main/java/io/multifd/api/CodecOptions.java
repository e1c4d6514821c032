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

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The parameters of a codec, such as {@code level=3}: an immutable, sorted
 * map of short keys to short values.
 *
 * <p>They travel in every channel's hello in their {@linkplain #toString() text form}
 * ({@code key=value,key=value}, at most {@value #MAX_WIRE_LENGTH} bytes of UTF-8), so both ends
 * configure their codec the same way. Keys match {@code [a-z][a-z0-9_-]*}; values are printable
 * ASCII without {@code ,} or {@code =}. The codec validates the values it understands
 * ({@link io.multifd.api.spi.Codec#validate(CodecOptions)}). Immutable and thread-safe.
 */
public final class CodecOptions {

    /** The longest text form accepted, in bytes. */
    public static final int MAX_WIRE_LENGTH = 255;

    /** No options: every codec uses its defaults. */
    public static final CodecOptions NONE = new CodecOptions(new TreeMap<>());

    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    private static final Pattern VALUE = Pattern.compile("[\\x21-\\x7e&&[^,=]]{1,64}");

    private final Map<String, String> values;
    private final String text;

    private CodecOptions(TreeMap<String, String> values) {
        this.values = Collections.unmodifiableMap(values);
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(k).append('=').append(v);
        });
        this.text = sb.toString();
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_WIRE_LENGTH) {
            throw new IllegalArgumentException("codec options longer than " + MAX_WIRE_LENGTH + " bytes: " + text);
        }
    }

    /**
     * Makes options from a map.
     *
     * @param values keys and values
     * @return the options
     * @throws IllegalArgumentException if a key or value is malformed, or the text form is too long
     */
    public static CodecOptions of(Map<String, String> values) {
        TreeMap<String, String> m = new TreeMap<>();
        values.forEach((k, v) -> m.put(checkKey(k), checkValue(k, v)));
        return new CodecOptions(m);
    }

    /**
     * Makes options with one key.
     *
     * @param key   the key
     * @param value the value
     * @return the options
     */
    public static CodecOptions of(String key, String value) {
        return of(Map.of(key, value));
    }

    /**
     * The usual case: only a compression level.
     *
     * @param level the level, meaning what the selected codec says it means
     * @return options with {@code level=<level>}
     */
    public static CodecOptions level(int level) {
        return of("level", Integer.toString(level));
    }

    /**
     * Parses the text form {@code key=value,key=value}; the empty string gives {@link #NONE}.
     *
     * @param text the text form
     * @return the options
     * @throws IllegalArgumentException naming the malformed entry
     */
    public static CodecOptions parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty()) {
            return NONE;
        }
        TreeMap<String, String> m = new TreeMap<>();
        for (String part : text.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("codec option '" + part + "' is not key=value");
            }
            String k = checkKey(part.substring(0, eq));
            String v = checkValue(k, part.substring(eq + 1));
            if (m.put(k, v) != null) {
                throw new IllegalArgumentException("codec option '" + k + "' given twice");
            }
        }
        return new CodecOptions(m);
    }

    private static String checkKey(String k) {
        if (k == null || !KEY.matcher(k).matches()) {
            throw new IllegalArgumentException("codec option key '" + k + "' must match " + KEY.pattern());
        }
        return k;
    }

    private static String checkValue(String k, String v) {
        if (v == null || !VALUE.matcher(v).matches()) {
            throw new IllegalArgumentException("codec option '" + k + "' has a malformed value '" + v
                    + "' (1 to 64 printable ASCII characters, no ',' or '=')");
        }
        return v;
    }

    /** The options as an unmodifiable sorted map. */
    public Map<String, String> asMap() {
        return values;
    }

    /**
     * Returns an option's value.
     *
     * @param key the key
     * @return the value, or {@code null} if absent
     */
    public String get(String key) {
        return values.get(key);
    }

    /**
     * Returns an integer option.
     *
     * @param key the key
     * @return the value, or empty if absent
     * @throws IllegalArgumentException if present but not an integer
     */
    public OptionalInt intValue(String key) {
        String v = values.get(key);
        if (v == null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("codec option '" + key + "' must be an integer, not '" + v + "'");
        }
    }

    /** Returns true if there are no options. */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** The text form {@code key=value,key=value}, sorted by key: what travels in the hello. */
    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CodecOptions h && h.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }
}
