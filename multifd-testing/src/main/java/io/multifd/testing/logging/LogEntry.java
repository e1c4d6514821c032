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
package io.multifd.testing.logging;

import java.util.Objects;

/**
 * One captured log record, in terms of {@link System.Logger} (through which the library logs), so
 * that tests need not read the {@code java.logging} module.
 *
 * @param level   the level, mapped from java.util.logging as {@link System.Logger} maps it there
 * @param logger  the name of the logger, such as {@code io.multifd.core.MultiFdSender}
 * @param message the message with any parameters filled in
 * @param thrown  the throwable logged with it, or null
 */
public record LogEntry(System.Logger.Level level, String logger, String message, Throwable thrown) {

    /**
     * Checks the arguments.
     *
     * @param level   the level
     * @param logger  the logger's name
     * @param message the message
     * @param thrown  the throwable, or null
     */
    public LogEntry {
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(logger, "logger");
        Objects.requireNonNull(message, "message");
    }

    /**
     * The message followed by the throwable and each of its causes ({@code " | class: message"}),
     * so that a substring can match either; this is what {@link CapturedLogs#assertLogged} searches.
     *
     * @return the searchable text
     */
    public String text() {
        StringBuilder sb = new StringBuilder(message);
        int depth = 0;
        for (Throwable t = thrown; t != null && depth < 20; t = t.getCause(), depth++) {
            sb.append(" | ").append(t);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return level + " " + logger + ": " + text();
    }
}
