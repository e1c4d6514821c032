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

/**
 * A command failed and already knows its exit status: for instance {@code demo}, whose child
 * {@code send} or {@code recv} exited with a status that names the failure. Reported as one line,
 * like any failure; {@link ExitStatus#of(Throwable)} returns {@link #status()}.
 */
public final class CommandFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status  the exit status, one of {@link ExitStatus}'s
     * @param message one line: what failed
     */
    public CommandFailedException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The exit status this failure stands for. */
    public int status() {
        return status;
    }
}
