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
import io.multifd.api.ProtocolCode;
import io.multifd.api.ReturnHandler;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The sender's return-path handlers by payload type, frozen at {@code connect()}: the hello
 * feature bit they imply, and the dispatch of each RETURN reply to its payload's handler.
 * Immutable; any thread (each channel's reply thread dispatches).
 */
public final class ReturnRoutes {

    /** No handler: the session asks for no return path. */
    public static final ReturnRoutes NONE = new ReturnRoutes(new PayloadPlugin<?>[0], new ReturnHandler[0]);

    private final PayloadPlugin<?>[] plugins;
    private final ReturnHandler[] handlers;
    private final boolean any;

    /**
     * @param plugins  the payload plug-ins in registry order
     * @param handlers their handlers, same order, null where none (copied)
     */
    public ReturnRoutes(PayloadPlugin<?>[] plugins, ReturnHandler[] handlers) {
        this.plugins = plugins.clone();
        this.handlers = handlers.clone();
        boolean a = false;
        for (ReturnHandler h : this.handlers) {
            a |= h != null;
        }
        this.any = a;
    }

    /** The hello's feature bits: {@link Wire#FEATURE_RETURN_PATH} if any handler is registered. */
    public int features() {
        return any ? Wire.FEATURE_RETURN_PATH : 0;
    }

    /**
     * Hands a RETURN reply to its payload's handler, on the calling reply thread.
     *
     * @param channel the channel it arrived on
     * @param r       the reply, of kind RETURN
     * @throws MalformedPacketException if the session asked for no return path, or no handler
     *                                  is registered for the message's payload type
     * @throws IOException              what the handler threw
     */
    public void dispatch(int channel, Reply r) throws IOException {
        if (!any) {
            throw new MalformedPacketException(ProtocolCode.MALFORMED, channel, -1, "reply.kind", "RETURN",
                    "this sender asked for no return path");
        }
        long type = r.valueA();
        for (int i = 0; i < plugins.length; i++) {
            if (plugins[i].id() == type && handlers[i] != null) {
                handlers[i].onMessage(channel, ByteBuffer.wrap(r.data()).asReadOnlyBuffer());
                return;
            }
        }
        throw new MalformedPacketException(ProtocolCode.UNKNOWN_PAYLOAD, channel, -1, "reply.payload type", type,
                "no return handler is registered for this payload type");
    }

    /**
     * Tells every handler that the session failed ({@link ReturnHandler#onSessionFailed}), on the
     * calling thread; a handler that throws is logged and the others are still told.
     *
     * @param cause the session's first error
     */
    public void sessionFailed(Throwable cause) {
        for (int i = 0; i < handlers.length; i++) {
            if (handlers[i] != null) {
                try {
                    handlers[i].onSessionFailed(cause);
                } catch (RuntimeException e) {
                    System.getLogger(ReturnRoutes.class.getName()).log(System.Logger.Level.WARNING,
                            "the return handler of payload '" + plugins[i].name() + "' threw when told of the failure", e);
                }
            }
        }
    }
}
