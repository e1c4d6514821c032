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
package io.multifd.ram;

import java.io.IOException;

/**
 * A post-copy migration's session broke after the destination was released: the source keeps
 * its memory and the destination its pages (its {@link PostcopyAccess#require} calls wait), and
 * the migration goes on once a new session resumes it ({@link PostCopy#resume}). Until then
 * neither side has the whole memory: the destination ran, so the source's copy is stale.
 */
public final class PostcopyPausedException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long missingAtSwitchover;

    /**
     * @param cause               why the session broke
     * @param missingAtSwitchover the pages the destination lacked at the switch-over
     */
    public PostcopyPausedException(Throwable cause, long missingAtSwitchover) {
        super("post-copy paused: the session broke after the destination was released (" + cause.getMessage()
                + "); resume it with PostCopy.resume over a new session (refused if the destination gave the "
                + "post-copy up)", cause);
        this.missingAtSwitchover = missingAtSwitchover;
    }

    /** The pages the destination lacked at the switch-over. */
    public long missingAtSwitchover() {
        return missingAtSwitchover;
    }
}
