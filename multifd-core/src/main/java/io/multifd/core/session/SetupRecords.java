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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.ReturnHandler;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.core.wire.Manifest;
import io.multifd.core.wire.Wire;

import java.util.ArrayList;
import java.util.List;

/**
 * The payloads' setup records a sender declares before it connects, frozen into the manifest by
 * {@code connect()}. Whether a payload was declared is asked on every {@code send()}, so after
 * the freeze that answer costs one volatile read and no lock.
 *
 * <p>Thread-safe: {@link #declare} and {@link #freeze} are synchronized; {@link #isDeclared} reads
 * the array without the lock once the volatile {@code frozen} flag says no declare can follow
 * (the flag is written after the last write to the array, so its read makes them visible).
 */
public final class SetupRecords {

    private final PayloadPlugin<?>[] plugins;
    private final byte[][] records;
    private final ReturnHandler[] handlers;
    private volatile boolean frozen;
    private ReturnRoutes routes = ReturnRoutes.NONE;

    /**
     * @param plugins the payload plug-ins in registry order (the index of each is its slot here)
     */
    public SetupRecords(PayloadPlugin<?>[] plugins) {
        this.plugins = plugins;
        this.records = new byte[plugins.length][];
        this.handlers = new ReturnHandler[plugins.length];
    }

    /**
     * Keeps a payload's return-path handler; see {@code SendSession.onReturn}.
     *
     * @param idx     the payload's index in the registry order
     * @param handler the handler
     * @param name    the payload's name, for messages
     * @param state   the sender's state, for the message if it already connected
     * @throws IllegalStateException after {@link #freeze}, or if the payload has a handler already
     */
    public synchronized void onReturn(int idx, ReturnHandler handler, String name, String state) {
        if (frozen) {
            throw new IllegalStateException("onReturn() must be called before connect(); the sender is " + state);
        }
        if (handlers[idx] != null) {
            throw new IllegalStateException("payload '" + name + "' already has a return handler");
        }
        handlers[idx] = handler;
    }

    /** The return-path handlers as frozen by {@link #freeze}; {@link ReturnRoutes#NONE} before. */
    public synchronized ReturnRoutes routes() {
        return routes;
    }

    /**
     * Keeps a payload's setup record for the manifest.
     *
     * @param idx    the payload's index in the registry order
     * @param record the record, owned by this object from now on
     * @param name   the payload's name, for messages
     * @param state  the sender's state, for the message if it already connected
     * @throws IllegalStateException after {@link #freeze}, or if the payload was already declared
     */
    public synchronized void declare(int idx, byte[] record, String name, String state) {
        if (frozen) {
            throw new IllegalStateException("payload '" + name + "' is declared too late: declare every payload "
                    + "before connect() (a payload's saver or client declares it when it is opened: open it first); "
                    + "the sender is "
                    + state);
        }
        if (records[idx] != null) {
            throw new IllegalStateException("payload '" + name + "' was already declared");
        }
        records[idx] = record;
    }

    /**
     * @param idx the payload's index in the registry order
     * @return whether that payload was declared
     */
    public boolean isDeclared(int idx) {
        if (frozen) {
            return records[idx] != null;
        }
        synchronized (this) {
            return records[idx] != null;
        }
    }

    /**
     * Ends declaring and builds the manifest the hellos carry. Called once, by {@code connect()}.
     *
     * @param config the sender's configuration (its manifest cap)
     * @return the manifest
     * @throws IllegalStateException if the records exceed {@link MultiFdConfig#maxManifestLength()}
     *                               (then nothing is frozen)
     */
    public synchronized Manifest freeze(MultiFdConfig config) {
        List<Manifest.Record> list = new ArrayList<>();
        for (int i = 0; i < plugins.length; i++) {
            if (records[i] != null) {
                list.add(new Manifest.Record(plugins[i].id(), records[i]));
            }
        }
        Manifest manifest = new Manifest(list);
        if (manifest.encode().remaining() > config.maxManifestLength() + Wire.MANIFEST_FIXED_LENGTH + Wire.CRC_LENGTH) {
            throw new IllegalStateException("the declared setup records exceed maxManifestLength "
                    + config.maxManifestLength());
        }
        routes = new ReturnRoutes(plugins, handlers);
        frozen = true;
        return manifest;
    }

    /**
     * @param p a payload plug-in
     * @return its index in the registry order, or -1 if it is not one of the session's instances
     */
    public int indexOf(PayloadPlugin<?> p) {
        for (int i = 0; i < plugins.length; i++) {
            if (plugins[i] == p) {
                return i;
            }
        }
        return -1;
    }
}
