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

import java.util.HashSet;
import java.util.Set;

/**
 * The session as the receiver's hellos built it so far: the terms fixed by the first accepted
 * hello ({@code null} before it) and the channel ids accepted. Immutable: accepting a hello makes
 * a new value ({@link #accept}). Confined to the thread that accepts channels.
 *
 * @param terms    the session terms, or {@code null} before the first accepted hello
 * @param accepted the channel ids accepted so far (copied, unmodifiable)
 */
public record SessionSoFar(SessionTerms terms, Set<Integer> accepted) {

    /** Before any hello. */
    public static final SessionSoFar EMPTY = new SessionSoFar(null, Set.of());

    /** Copies the set. */
    public SessionSoFar {
        accepted = Set.copyOf(accepted);
        if (terms == null && !accepted.isEmpty()) {
            throw new IllegalArgumentException("channels accepted without session terms");
        }
    }

    /**
     * @param sessionTerms the terms (the current ones, or the first hello's)
     * @param channelId    the channel just accepted
     * @return the session with that channel accepted too
     */
    public SessionSoFar accept(SessionTerms sessionTerms, int channelId) {
        Set<Integer> ids = new HashSet<>(accepted);
        ids.add(channelId);
        return new SessionSoFar(sessionTerms, ids);
    }

    /** True once every channel the terms announced was accepted. */
    public boolean complete() {
        return terms != null && accepted.size() == terms.channelCount();
    }
}
