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
package io.multifd.core.channel;

import io.multifd.api.spi.TransportListener;
import io.multifd.core.session.FailureLatch;
import io.multifd.core.session.ManifestApplication;
import io.multifd.core.session.ThreadJoins;

/**
 * The end of every receiver, success or failure, run once by the coordinating thread: closes the
 * pending connections and the transport listener, lets every channel thread end (after a success
 * each channel still gets the grace period to read what the sender sends last, then is closed by
 * force; after a failure the fan-out already scheduled that) and joins it, closes every
 * connection, closes the payload receivers and stops the watchdog. Never throws.
 */
public final class ReceiverShutdown {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdReceiver");

    private ReceiverShutdown() {
    }

    /**
     * Runs the shutdown. Called once, by the coordinating thread, after the migration ended.
     *
     * @param table      the connections
     * @param transport  the transport listener
     * @param manifest   the payload receivers
     * @param watchdog   the watchdog, stopped last (null if never started)
     * @param latch      whether the migration failed
     * @param graceNanos the grace period of the channels
     */
    public static void run(ChannelTable table, TransportListener transport, ManifestApplication manifest,
                           Watchdog watchdog, FailureLatch latch, long graceNanos) {
        for (ChannelIo io : table.pending()) {
            io.close();
        }
        closeQuietly(transport);
        long deadline = ThreadJoins.shutdownDeadline(graceNanos);
        for (ReceiveChannel c : table.channels()) {
            if (c != null) {
                if (!latch.failed()) {
                    c.io().forceCloseAfter(graceNanos);
                }
                ThreadJoins.joinOrWarn(c.thread(), deadline, LOG);
                c.io().close();
            }
        }
        manifest.closeAll();
        if (watchdog != null) {
            watchdog.close();
        }
    }

    /**
     * Closes {@code c}, logging a failure at DEBUG.
     *
     * @param c what to close
     */
    public static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "close failed: " + e);
        }
    }
}
