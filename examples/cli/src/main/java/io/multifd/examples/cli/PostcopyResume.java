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

import io.multifd.api.MigrationStats;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.ram.PostCopy;
import io.multifd.ram.PostcopyAccess;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamSaver;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code --resume-timeout}: what {@code send --postcopy} and {@code recv} do when the link breaks
 * after the destination was released. Neither side gives up: the sender keeps its memory and
 * what it has not sent, the receiver its pages (its readers wait); both open new sessions until
 * one completes or the time is up. Runs on the command's main thread.
 */
final class PostcopyResume {

    private PostcopyResume() {
    }

    /** Makes a new, unconnected sender for the next attempt. */
    @FunctionalInterface
    interface Senders {
        MultiFdSender make() throws IOException;
    }

    /** Makes and starts a new receiver on a listener for the next attempt. */
    @FunctionalInterface
    interface Receivers {
        MultiFdReceiver start(TransportListener listener, long acceptNanos) throws IOException;
    }

    /**
     * Sender side: new sessions that resume the post-copy until one finishes.
     *
     * @param senders   makes each attempt's sender
     * @param blocks    the migrated blocks
     * @param postCopy  the paused driver
     * @param seconds   the time each pause allows its attempts together (see {@link PauseBudget})
     * @param first     why the first session broke
     * @param err       where the progress lines go
     * @param attempts  receives the number of sessions opened (index 0)
     * @param result    receives the post-copy's result (index 0)
     * @return the finished session's statistics
     * @throws IOException the last attempt's error once the time is up
     */
    static MigrationStats send(Senders senders, List<RamBlock> blocks, PostCopy postCopy, double seconds, Throwable first,
                               PrintWriter err, int[] attempts, PostCopy.Result[] result) throws IOException {
        PauseBudget budget = new PauseBudget((long) (seconds * 1e9), postCopy.destinationMissingPages(),
                System::nanoTime);
        Throwable last = first;
        while (budget.leftNanos() > 0) {
            err.println(String.format(Locale.ROOT, "post-copy paused (%s); resuming, %.0f s left", last.getMessage(),
                    budget.leftNanos() / 1e9));
            err.flush();
            try (MultiFdSender s = senders.make()) {
                attempts[0]++;
                RamSaver saver = RamSaver.openForPostcopyResume(s, blocks);
                s.connect();
                result[0] = postCopy.resume(saver);
                return s.finish();
            } catch (IOException e) {
                last = e;
                budget.failedWith(postCopy.destinationMissingPages()); // a resumed session moved pages: a new pause
            }
        }
        throw new IOException("post-copy stayed paused for " + seconds + " s without progress (--resume-timeout): "
                + last.getMessage(), last);
    }

    /**
     * Receiver side: listens again where the broken session listened and takes sessions that
     * resume the post-copy until one completes.
     *
     * @param relisten  listens again
     * @param receivers makes and starts each attempt's receiver
     * @param access    the paused post-copy
     * @param seconds   the time each pause allows its attempts together (see {@link PauseBudget})
     * @param err       where the progress lines go
     * @param attempts  receives the number of sessions accepted (index 0)
     * @return the completed session's statistics
     * @throws IOException the last attempt's error once the time is up, or if the post-copy was given up
     */
    static MigrationStats receive(java.util.function.Supplier<TransportListener> relisten, Receivers receivers,
                                  PostcopyAccess access, double seconds, PrintWriter err, int[] attempts)
            throws IOException {
        PauseBudget budget = new PauseBudget((long) (seconds * 1e9), access.missingPages(), System::nanoTime);
        Throwable last = access.pauseCause();
        while (budget.leftNanos() > 0 && access.isPaused()) {
            err.println(String.format(Locale.ROOT, "post-copy paused (%s); waiting %.0f s for the sender to resume",
                    last == null ? "the link broke" : last.getMessage(), budget.leftNanos() / 1e9));
            err.flush();
            MultiFdReceiver r = receivers.start(relisten.get(), Math.max(TimeUnit.SECONDS.toNanos(1),
                    budget.leftNanos()));
            try {
                attempts[0]++;
                return r.await();
            } catch (IOException e) {
                last = e;
                budget.failedWith(access.missingPages()); // that session moved pages: a new pause
            } finally {
                r.close();
            }
        }
        throw new IOException(access.isPaused()
                ? "post-copy stayed paused for " + seconds + " s without progress (--resume-timeout)"
                + (last == null ? "" : ": " + last.getMessage()) : "the post-copy could not be resumed", last);
    }
}
