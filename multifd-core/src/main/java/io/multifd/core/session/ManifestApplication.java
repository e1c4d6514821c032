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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MigrationFailedException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SetupRefusedException;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.core.wire.ByteSource;
import io.multifd.core.wire.Manifest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The receiver's payload plug-ins for one migration: applies the manifest (channel 0 reads it and
 * every record opens its plug-in's receiver), holds the opened receivers, lets the other channels
 * start once the manifest was accepted, and finishes, aborts and closes the receivers.
 *
 * <p>Thread-safe. {@link #open} and {@link #accepted} are called by channel 0's thread,
 * {@link #finishAll} by the coordinating thread; the rest by any thread. The opened receivers are
 * owned by this object until {@link #closeAll}.
 */
public final class ManifestApplication {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdReceiver");

    /**
     * Why the manifest is refused.
     *
     * @param cause   the error that fails the migration
     * @param code    the code of the MANIFEST_REFUSE reply
     * @param message the message of the reply
     */
    public record Refusal(IOException cause, ProtocolCode code, String message) {
    }

    private final MultiFdConfig config;
    private final PayloadPlugin<?>[] plugins;
    private final boolean[] required;
    private final String payloadNames;
    private final FailureLatch latch;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile PayloadReceiver[] receivers;
    /** The plug-in call the coordinating thread is in (finish, close), for a close that waits in vain. */
    private volatile String inCall;
    private boolean accepted; // guarded by lock

    /**
     * @param config       the receiver's configuration (its cap on the manifest length)
     * @param plugins      the receiver's payload plug-ins, in registry order
     * @param requiredIds  the ids of the plug-ins every manifest must have a record for
     * @param payloadNames their names, for messages
     * @param latch        the migration's first error
     */
    public ManifestApplication(MultiFdConfig config, PayloadPlugin<?>[] plugins, Set<Integer> requiredIds,
            String payloadNames, FailureLatch latch) {
        this.config = config;
        this.plugins = plugins.clone();
        this.required = new boolean[plugins.length];
        for (int i = 0; i < plugins.length; i++) {
            required[i] = requiredIds.contains(plugins[i].id());
        }
        this.payloadNames = payloadNames;
        this.latch = latch;
    }

    /**
     * @param typeId a payload wire id
     * @return the index of the plug-in with that id, or -1
     */
    public int indexOfType(int typeId) {
        for (int i = 0; i < plugins.length; i++) {
            if (plugins[i].id() == typeId) {
                return i;
            }
        }
        return -1;
    }

    /**
     * @param index a plug-in's index
     * @return the plug-in
     */
    public PayloadPlugin<?> plugin(int index) {
        return plugins[index];
    }

    /**
     * Channel 0: reads the manifest and opens a receiver for every record. Receivers opened
     * before a refusal stay here, to be aborted and closed with the migration.
     *
     * @param in      channel 0's inbound stream, right after its hello was accepted
     * @param context what the plug-ins get to know about the session
     * @return null if every record was accepted, else why the manifest is refused
     * @throws IOException if the stream ends, fails or times out
     */
    public Refusal open(ByteSource in, ReceiveContext context) throws IOException {
        Manifest m;
        try {
            m = Manifest.read(in, config.maxManifestLength());
        } catch (MalformedPacketException e) {
            return new Refusal(e, e.code(), e.getMessage());
        }
        PayloadReceiver[] rs = new PayloadReceiver[plugins.length];
        receivers = rs;
        Refusal missing = missingRequired(m);
        if (missing != null) {
            return missing; // before any plug-in opens: nothing to undo
        }
        for (Manifest.Record r : m.records()) {
            int idx = indexOfType(r.typeId());
            if (idx < 0) {
                MalformedPacketException e = new MalformedPacketException(ProtocolCode.UNKNOWN_PAYLOAD, 0, -1,
                        "manifest.payload type", r.typeId(), "this receiver has no payload plug-in with that id (present: "
                        + payloadNames + ")");
                return new Refusal(e, e.code(), e.getMessage());
            }
            PayloadPlugin<?> p = plugins[idx];
            try {
                rs[idx] = Objects.requireNonNull(p.openReceiver(context, ByteBuffer.wrap(r.bytes()).asReadOnlyBuffer()),
                        () -> p.name() + ": openReceiver returned null");
            } catch (SetupRefusedException e) {
                return new Refusal(e, ProtocolCode.SETUP_REFUSED, p.name() + ": " + Reasons.of(e));
            } catch (RuntimeException e) {
                SetupRefusedException s = new SetupRefusedException(p.name() + ": could not open its receiver: " + e, e);
                return new Refusal(s, ProtocolCode.SETUP_REFUSED, s.getMessage());
            }
        }
        return null;
    }

    /**
     * @param m the manifest read
     * @return the refusal naming the first required plug-in without a record, or null
     */
    private Refusal missingRequired(Manifest m) {
        for (int i = 0; i < plugins.length; i++) {
            if (!required[i]) {
                continue;
            }
            int id = plugins[i].id();
            if (m.records().stream().noneMatch(r -> r.typeId() == id)) {
                SetupRefusedException e = new SetupRefusedException("payload '" + plugins[i].name() + "' (id " + id
                        + ") is required by this receiver, but the sender's manifest has no record for it (its records: payload ids "
                        + m.records().stream().map(r -> String.valueOf(r.typeId())).toList() + ")");
                return new Refusal(e, ProtocolCode.SETUP_REFUSED, e.getMessage());
            }
        }
        return null;
    }

    /** Channel 0, after writing MANIFEST_ACCEPT: the other channels may start. */
    public void accepted() {
        lock.lock();
        try {
            accepted = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Channels other than 0: waits until the manifest was accepted.
     *
     * @return the opened receivers, indexed like the plug-ins (null where the manifest has no record)
     * @throws MigrationFailedException if the migration failed meanwhile
     * @throws InterruptedIOException   if interrupted
     */
    public PayloadReceiver[] awaitAccepted() throws IOException {
        lock.lock();
        try {
            while (!accepted && !latch.failed()) {
                changed.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the manifest");
        } finally {
            lock.unlock();
        }
        Throwable f = latch.cause();
        if (f != null) {
            throw new MigrationFailedException("aborted", f);
        }
        return receivers;
    }

    /** Wakes the channels waiting for the manifest, so that they see the failure. Any thread. */
    public void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The receivers opened so far (null where none), or null before the manifest was read. */
    public PayloadReceiver[] receivers() {
        return receivers;
    }

    /**
     * Coordinating thread, after every channel's EOS: lets every receiver finish, all within
     * {@code finishTimeout}.
     *
     * @param finishTimeout the time all of them get together
     * @throws MigrationFailedException if the migration failed meanwhile
     * @throws IOException              what a receiver's finish threw
     */
    public void finishAll(Duration finishTimeout) throws IOException {
        long deadline = System.nanoTime() + finishTimeout.toNanos();
        PayloadReceiver[] rs = receivers;
        for (int i = 0; i < rs.length; i++) {
            PayloadReceiver r = rs[i];
            if (r != null) {
                long left = Math.max(1, deadline - System.nanoTime());
                inCall = "payload '" + plugins[i].name() + "' finish()";
                try {
                    r.finish(Duration.ofNanos(left));
                } finally {
                    inCall = null;
                }
                Throwable f = latch.cause();
                if (f != null) {
                    throw new MigrationFailedException("aborted", f);
                }
            }
        }
    }

    /**
     * Tells every opened receiver that the migration failed; their exceptions are logged.
     *
     * @param cause the first error
     */
    public void abortAll(Throwable cause) {
        PayloadReceiver[] rs = receivers;
        if (rs == null) {
            return;
        }
        for (int i = 0; i < rs.length; i++) {
            PayloadReceiver r = rs[i];
            if (r != null) {
                try { // any thread: not recorded in inCall, which is the coordinating thread's
                    r.abort(cause);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, "payload abort failed", e);
                }
            }
        }
    }

    /** Closes every opened receiver, at the very end; their exceptions are logged. */
    public void closeAll() {
        PayloadReceiver[] rs = receivers;
        if (rs == null) {
            return;
        }
        for (int i = 0; i < rs.length; i++) {
            PayloadReceiver r = rs[i];
            if (r != null) {
                inCall = "payload '" + plugins[i].name() + "' close()";
                try {
                    r.close();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "payload receiver close failed", e);
                } finally {
                    inCall = null;
                }
            }
        }
    }

    /**
     * The payload plug-in call the coordinating thread is in ({@code finish} or {@code close}),
     * such as {@code payload 'kv' finish()}, or null. Any thread.
     *
     * @return the call, or null
     */
    public String callInProgress() {
        return inCall;
    }
}
