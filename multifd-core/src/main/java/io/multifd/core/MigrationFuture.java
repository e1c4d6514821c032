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
package io.multifd.core;

import io.multifd.api.MigrationStats;

import java.util.concurrent.CompletableFuture;

/**
 * The future {@link MultiFdSender#finishAsync()} and {@link MultiFdReceiver#awaitAsync()} return:
 * completed by the library, and {@linkplain #cancel cancelling} it aborts the migration instead
 * of leaving it running unseen. Stages derived from it ({@code thenApply} and the like) are plain
 * {@link CompletableFuture}s: cancelling those does not reach the migration. Thread-safe.
 */
final class MigrationFuture extends CompletableFuture<MigrationStats> {

    private final Runnable abort;

    /**
     * @param abort fails the migration (unless it already failed or passed its commit point)
     *              without waiting for its threads; any thread, never throws
     */
    MigrationFuture(Runnable abort) {
        this.abort = abort;
    }

    /**
     * Completes this future with a {@link java.util.concurrent.CancellationException}, then
     * aborts the migration as {@code close()} does, but without waiting for the library's
     * threads to end (the peer is told). A migration that already passed its commit point is not
     * undone: it still completes, which {@code stats()} then shows.
     *
     * @param mayInterruptIfRunning ignored: the abort stops the library's threads either way
     * @return false if this future had already completed (then nothing is aborted)
     */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (!super.cancel(mayInterruptIfRunning)) {
            return false;
        }
        abort.run();
        return true;
    }
}
