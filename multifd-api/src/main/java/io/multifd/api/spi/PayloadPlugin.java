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
package io.multifd.api.spi;

import io.multifd.api.SetupRefusedException;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * A payload kind: RAM pages, device state, or a user's own. The core moves slots tagged with a
 * plug-in without ever looking inside them; the plug-in turns a body into a packet on the sending
 * channel thread, and applies a packet on the receiving one.
 *
 * <h2>Life cycle</h2>
 * <ol>
 *   <li>Sender: a client declares the plug-in's <em>setup record</em> (for RAM: block names,
 *       lengths, page sizes) before connecting; it travels in the session manifest.</li>
 *   <li>Sender: the core makes one {@link PayloadEncoder} per channel
 *       ({@link #newEncoder(SendChannelContext)}); a client fills a {@link io.multifd.api.SendData}
 *       slot with a body ({@link #newBody()} once per slot, then {@link #resetBody(Object)} after
 *       each send) and hands it over; the channel thread calls
 *       {@link PayloadEncoder#prepare(Object, OutgoingPacket)}.</li>
 *   <li>Receiver: when the manifest arrives, the core calls
 *       {@link #openReceiver(ReceiveContext, ByteBuffer)} with this plug-in's setup record; the
 *       plug-in creates or checks its destination, or refuses. Then each channel gets a
 *       {@link PayloadChannelReceiver} that validates and places the packets.</li>
 * </ol>
 *
 * <h2>Threads</h2>
 * The provider itself is shared by every session and channel: it must be immutable or
 * thread-safe. {@link #newBody()} runs on the client thread that first fills a slot with this
 * type; {@link #resetBody(Object)} on the channel thread that sent it (or the client that clears
 * it).
 *
 * <h2>Deployment</h2>
 * See the {@linkplain io.multifd.api.spi package documentation}: {@code provides} in
 * {@code module-info.java} and a {@code META-INF/services} entry, or an instance handed to the
 * registry.
 *
 * @param <B> the body type: a mutable, reusable container for one packet's worth of payload
 */
public interface PayloadPlugin<B> {

    /** Smallest wire id a payload plug-in may use; 0 is reserved for control packets. */
    int MIN_ID = 1;
    /** Largest wire id. Ids 1 to 255 are reserved for plug-ins shipped with multifd-java; pick a larger one. */
    int MAX_ID = 0xFFFF;

    /** The wire id, {@value #MIN_ID} to {@value #MAX_ID}, unique among the plug-ins present. */
    int id();

    /** A short lower-case name, unique among the plug-ins present, e.g. {@code ram}; matches {@code [a-z][a-z0-9_-]{0,31}}. */
    String name();

    /**
     * Makes an empty body. Called once per slot and type; the body is then reused.
     *
     * @return a new, empty body, owned by the slot from now on
     */
    B newBody();

    /**
     * Empties a body for reuse, keeping its buffers. Called by the slot's owner: the channel
     * thread after the packet was written, or a client discarding what it filled.
     *
     * @param body the body to reset
     */
    void resetBody(B body);

    /**
     * Makes the per-channel encoder. Called at most once per channel, on that channel's thread,
     * when the channel writes its first packet of this payload kind (a channel that never carries
     * one never makes one); the encoder is closed when the channel ends.
     *
     * @param context the channel's description and limits
     * @return the encoder, confined to that channel thread
     */
    PayloadEncoder<B> newEncoder(SendChannelContext context);

    /**
     * Starts this payload's receiving side for one session, from its setup record.
     *
     * <p>Called once per session on the receiver, on the thread that read the manifest, before
     * any data packet of any channel is applied. This is where a plug-in creates or checks its
     * destination (RAM: the blocks must exist with the announced lengths and page sizes, or a
     * factory creates them) and refuses what it cannot accept.
     *
     * @param context     the session's description, limits and failure callback
     * @param setupRecord the record the sender declared for this payload: read-only, valid only
     *                    during this call (copy what you keep); untrusted input
     * @return the session's receiver
     * @throws SetupRefusedException if the record is malformed or not acceptable, naming the field
     */
    PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) throws SetupRefusedException;

    /**
     * Describes one of this payload's packet headers for tools that decode recorded streams
     * ({@code multifd inspect}): its fields by name, in wire order, as short values (numbers,
     * strings, lists of numbers). Nothing is checked against a session (there is none): this only
     * says what the bytes claim.
     *
     * <p>The bytes are untrusted: never throw; describe what cannot be parsed with an entry named
     * {@code "error"}. Called from any thread; must not keep {@code header}.
     *
     * @param header the payload header, position 0 to its limit, read-only
     * @return the fields; the default describes nothing (tools then show the length only)
     */
    default Map<String, Object> describeHeader(ByteBuffer header) {
        return Map.of();
    }
}
