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
