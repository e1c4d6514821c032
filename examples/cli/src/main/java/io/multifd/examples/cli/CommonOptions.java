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

import picocli.CommandLine.Option;

/**
 * Options every subcommand has: {@code --json}, {@code --quiet}, {@code --verbose}. A picocli
 * mixin; filled by the parser on the main thread, read-only afterwards.
 */
public final class CommonOptions {

    /** Print the result as one JSON object, the last line on stdout. */
    @Option(names = "--json", order = 100, description = "Print the result as one JSON object, the last line on stdout "
            + "(for scripts; --stats-interval lines and inspect's one object per message come before it).")
    boolean json;

    /** No progress and no summary; errors are still printed. */
    @Option(names = {"-q", "--quiet"}, order = 101, description = "No progress and no summary on stderr; errors are still printed.")
    boolean quiet;

    /** Stack traces and the library's log on stderr. */
    @Option(names = {"-v", "--verbose"}, order = 102, description = "Print stack traces with errors, and the library's log.")
    boolean verbose;

    /** Makes the mixin; picocli fills it. */
    public CommonOptions() {
    }

    /** Whether {@code --json} was given. */
    public boolean json() {
        return json;
    }

    /** Whether {@code --quiet} was given. */
    public boolean quiet() {
        return quiet;
    }

    /** Whether {@code --verbose} was given. */
    public boolean verbose() {
        return verbose;
    }
}
