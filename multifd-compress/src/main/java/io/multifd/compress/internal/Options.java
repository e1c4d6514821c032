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
package io.multifd.compress.internal;

import io.multifd.api.CodecOptions;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * Validation of the codecs' options. Every codec of this module understands exactly one key,
 * {@code level}; any other key is refused, so that a typo cannot silently select the default.
 * Stateless.
 */
public final class Options {

    /** The only option key the codecs of this module understand. */
    public static final String LEVEL = "level";

    private Options() {
    }

    /**
     * Checks the options and returns the level.
     *
     * @param codec   the codec's name, for messages
     * @param options the options
     * @param min     the smallest accepted level
     * @param max     the largest accepted level
     * @param dflt    the level used when the option is absent
     * @return the level
     * @throws IllegalArgumentException naming the codec, the option and the accepted range
     */
    public static int level(String codec, CodecOptions options, int min, int max, int dflt) {
        Objects.requireNonNull(options, "options");
        for (String key : options.asMap().keySet()) {
            if (!LEVEL.equals(key)) {
                throw new IllegalArgumentException(codec + ": unknown option '" + key + "' (known: " + LEVEL + ")");
            }
        }
        OptionalInt level;
        try {
            level = options.intValue(LEVEL);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(codec + ": option '" + LEVEL + "' must be an integer from " + min
                    + " to " + max + ", not '" + options.get(LEVEL) + "'", e);
        }
        int v = level.orElse(dflt);
        if (v < min || v > max) {
            throw new IllegalArgumentException(codec + ": option '" + LEVEL + "' must be from " + min + " to " + max
                    + ": " + v);
        }
        return v;
    }
}
