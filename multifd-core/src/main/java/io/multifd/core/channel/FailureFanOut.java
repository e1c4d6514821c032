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

import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.session.FailureLatch;
import io.multifd.core.session.ManifestApplication;
import io.multifd.core.session.Reasons;
import io.multifd.core.session.ReceiverEnd;
import io.multifd.core.session.SessionTerms;
import io.multifd.core.session.SyncBarrier;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Fails the receiver's migration once: the first error trips the {@link FailureLatch}, and only
 * that call then spreads it, in this order: the owner's callback (which stamps the end time), every
 * wait is woken (end of migration, manifest, sync barrier), every opened payload receiver is
 * aborted, the sender is told (an ERROR reply on every accepted channel, unless the error is the
 * sender's own ABORT), every channel's output is shut and a forced close is scheduled, every
 * pending connection and the transport listener are closed, and the listener hears
 * {@code onFailed}. Later errors are dropped by the latch.
 *
 * <p>Thread-safe; any thread, including the channel threads and plug-in threads.
 */
public final class FailureFanOut {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdReceiver");

    private final FailureLatch latch;
    private final ChannelTable table;
    private final ManifestApplication manifest;
    private final ReceiverEnd end;
    private final Supplier<SyncBarrier> barrier;
    private final TransportListener transport;
    private final Consumer<Throwable> onFailed;
    private final long graceNanos;
    private final Runnable onFirstError;

    /**
     * @param latch        the migration's first error
     * @param table        the connections to tell and close
     * @param manifest     the payload receivers to abort
     * @param end          the end-of-migration waits to wake
     * @param barrier      the sync barrier, or null before the session started
     * @param transport    the listener to close
     * @param onFailed     runs last, with the first cause (tells the user's listener)
     * @param graceNanos   how long a channel may still drain before it is closed by force
     * @param onFirstError runs first, on the failing thread
     */
    public FailureFanOut(FailureLatch latch, ChannelTable table, ManifestApplication manifest, ReceiverEnd end,
                         Supplier<SyncBarrier> barrier, TransportListener transport, Consumer<Throwable> onFailed,
                         long graceNanos, Runnable onFirstError) {
        this.latch = latch;
        this.table = table;
        this.manifest = manifest;
        this.end = end;
        this.barrier = barrier;
        this.transport = transport;
        this.onFailed = onFailed;
        this.graceNanos = graceNanos;
        this.onFirstError = onFirstError;
    }

    /**
     * Fails the migration unless it already failed or passed its commit point.
     *
     * @param cause the error
     */
    public void fail(Throwable cause) {
        fail(cause, null);
    }

    /**
     * Fails the migration unless it already failed or passed its commit point, leaving
     * {@code spare} alone: its owner is about to write a refusal on it. Failing first means that
     * nothing the peer does after reading the refusal can claim to be the first error.
     *
     * @param cause the error
     * @param spare a connection not to touch, or null
     */
    public void fail(Throwable cause, ChannelIo spare) {
        if (!latch.trip(cause)) {
            return;
        }
        onFirstError.run();
        end.wake();
        manifest.wake();
        SessionTerms terms = table.terms();
        LOG.log(System.Logger.Level.WARNING, "migration " + (terms == null ? "(before the first hello)" : terms.sessionId())
                + " failed: " + Reasons.of(cause));
        SyncBarrier b = barrier.get();
        if (b != null) {
            b.abort();
        }
        manifest.abortAll(cause);
        ReceiveChannel[] cs = table.channels();
        if (!(cause instanceof RemoteFailureException)) {
            ProtocolCode code = ProtocolCode.of(cause); // a lost connection is TRANSPORT
            String msg = Reasons.of(cause);
            for (ReceiveChannel c : cs) {
                if (c != null && c.io() != spare) {
                    c.io().forceCloseAfter(graceNanos);
                    c.writeReplyQuietly(Reply.failure(Wire.REPLY_ERROR, code, msg));
                }
            }
        }
        for (ReceiveChannel c : cs) {
            if (c != null && c.io() != spare) {
                c.io().forceCloseAfter(graceNanos);
                c.io().shutdownOutput();
            }
        }
        for (ChannelIo io : table.pending()) {
            if (io != spare) {
                io.close();
            }
        }
        ReceiverShutdown.closeQuietly(transport);
        onFailed.accept(cause);
    }
}
