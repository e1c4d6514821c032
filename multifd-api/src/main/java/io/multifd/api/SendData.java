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
package io.multifd.api;

import io.multifd.api.spi.PayloadPlugin;

import java.util.Arrays;
import java.util.Objects;

/**
 * The generic slot that carries one packet's worth of payload from a client to a channel.
 *
 * <p>A slot holds a payload-type tag (the {@link PayloadPlugin} that fills it) and that type's
 * <em>body</em>, an object only the plug-in understands (for RAM: a block and a list of page
 * offsets). The core never looks inside a body; it only hands it back to the plug-in that made it.
 * An empty slot has no tag.
 *
 * <h2>Ownership</h2>
 * A slot belongs to exactly one party at a time:
 * <ul>
 *   <li>the <b>client</b> (the RAM saver, a device-state saver, a user's plug-in client) from the
 *       moment {@code sender.send(...)} hands it the slot until it passes the slot to
 *       {@code sender.send(slot)} again;</li>
 *   <li>the <b>channel thread</b> from that swap until the packet has been written and the slot
 *       {@linkplain #clear() cleared}; the client gets the channel's previous, empty slot in
 *       exchange.</li>
 * </ul>
 * The hand-over takes no lock. The client claims an idle channel with a compare-and-set on the
 * channel's busy flag and publishes its slot with a volatile write that the channel thread reads
 * before it touches the slot; the channel thread clears the slot and then releases the busy flag
 * with a volatile write, which the next claiming compare-and-set reads. These release/acquire
 * pairs make whatever the client wrote into the body before {@code send} visible to the channel
 * thread, and the channel thread's {@link #clear()} visible to the next client that receives
 * the slot.
 * A slot is not safe for use by several threads at once; each client thread keeps its own.
 *
 * <h2>Reuse</h2>
 * A body is made once per slot and payload type, by {@link PayloadPlugin#newBody()} the first time
 * the slot is {@linkplain #fill(PayloadPlugin) filled} with that type, and is afterwards only
 * {@linkplain PayloadPlugin#resetBody(Object) reset}. A slot that has carried RAM and device state
 * keeps one body of each, so steady state allocates nothing.
 */
public final class SendData {

    private PayloadPlugin<?> plugin;
    private Object body;

    private PayloadPlugin<?>[] knownPlugins = new PayloadPlugin<?>[2];
    private Object[] knownBodies = new Object[2];
    private int knownCount;

    /** Makes an empty slot. Clients normally get their first slot from the sender. */
    public SendData() {
    }

    /**
     * Tags this slot with {@code plugin} (if it is empty) and returns the body to fill.
     *
     * <p>Called by the slot's owner only (the client). If the slot is already tagged with the same
     * plug-in, returns the body being filled, so a client can add to it item by item.
     *
     * @param plugin the payload type; the instance registered with the sender
     * @param <B>    the body type of that payload
     * @return the body, owned by the caller until it passes this slot to {@code send}
     * @throws IllegalStateException if the slot holds another payload type that was not sent or
     *                               cleared
     */
    public <B> B fill(PayloadPlugin<B> plugin) {
        Objects.requireNonNull(plugin, "plugin");
        if (this.plugin == plugin) {
            return cast(body);
        }
        if (this.plugin != null) {
            throw new IllegalStateException("slot holds a '" + this.plugin.name()
                    + "' payload: send or clear it before filling it with '" + plugin.name() + "'");
        }
        B b = cachedBody(plugin);
        this.plugin = plugin;
        this.body = b;
        return b;
    }

    /**
     * Returns the body of the payload type this slot holds, or throws if it holds another type.
     *
     * @param plugin the expected payload type
     * @param <B>    its body type
     * @return the body; owned by whoever owns the slot
     * @throws IllegalStateException if the slot is empty or holds another type
     */
    public <B> B body(PayloadPlugin<B> plugin) {
        if (this.plugin != plugin) {
            throw new IllegalStateException("slot holds "
                    + (this.plugin == null ? "nothing" : "a '" + this.plugin.name() + "' payload")
                    + ", not '" + plugin.name() + "'");
        }
        return cast(body);
    }

    /** Returns true if this slot has no payload-type tag. */
    public boolean isEmpty() {
        return plugin == null;
    }

    /** Returns the payload type this slot holds, or {@code null} if it is empty. */
    public PayloadPlugin<?> plugin() {
        return plugin;
    }

    /** Returns the body this slot holds, or {@code null} if it is empty. */
    public Object body() {
        return body;
    }

    /**
     * Resets the body through its plug-in and removes the tag, leaving the slot empty.
     *
     * <p>Called by the owner: by the channel thread after the packet was written, or by a client
     * that wants to discard what it filled. The body object is kept for the next fill.
     */
    public void clear() {
        PayloadPlugin<?> p = plugin;
        if (p != null) {
            reset(p, body);
            plugin = null;
            body = null;
        }
    }

    @Override
    public String toString() {
        return plugin == null ? "SendData[empty]" : "SendData[" + plugin.name() + "]";
    }

    private <B> B cachedBody(PayloadPlugin<B> p) {
        for (int i = 0; i < knownCount; i++) {
            if (knownPlugins[i] == p) {
                return cast(knownBodies[i]);
            }
        }
        B b = Objects.requireNonNull(p.newBody(), () -> p.name() + ": newBody() returned null");
        if (knownCount == knownPlugins.length) {
            knownPlugins = Arrays.copyOf(knownPlugins, knownCount * 2);
            knownBodies = Arrays.copyOf(knownBodies, knownCount * 2);
        }
        knownPlugins[knownCount] = p;
        knownBodies[knownCount] = b;
        knownCount++;
        return b;
    }

    @SuppressWarnings("unchecked")
    private static <B> void reset(PayloadPlugin<B> p, Object body) {
        p.resetBody((B) body);
    }

    @SuppressWarnings("unchecked")
    private static <B> B cast(Object o) {
        return (B) o;
    }
}
