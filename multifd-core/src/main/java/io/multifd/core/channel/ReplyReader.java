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

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.io.EOFException;
import java.io.IOException;

/**
 * The body of a channel's reply thread ({@code multifd-send-<session>-ch<id>-reply}): reads the
 * receiver's replies from the end of its handshake (while the other channels connect) until
 * the receiver closes. COMPLETED (only after EOS was
 * requested) is handed to the channel; RETURN goes to its payload's return handler (on this
 * thread); ERROR fails the migration with a
 * {@link RemoteFailureException}; anything else is malformed. The end of the stream is expected
 * after COMPLETED or after a failure; otherwise it fails the migration (after the grace period,
 * so that an ERROR arriving on another channel names the real cause).
 */
final class ReplyReader implements Runnable {

    private final ChannelSender channel;
    private final ChannelIo io;
    private final ChannelSender.Host host;

    ReplyReader(ChannelSender channel, ChannelIo io, ChannelSender.Host host) {
        this.channel = channel;
        this.io = io;
        this.host = host;
    }

    @Override
    public void run() {
        int id = channel.id();
        try {
            while (true) {
                Reply r = Reply.read(io);
                switch (r.kind()) {
                    case Wire.REPLY_COMPLETED -> {
                        if (!channel.endRequested()) {
                            throw new MalformedPacketException(ProtocolCode.MALFORMED, id, -1, "reply.kind",
                                    "COMPLETED", "the receiver reported completion before end of stream");
                        }
                        channel.completed(r);
                    }
                    case Wire.REPLY_RETURN -> channel.setup().routes().dispatch(id, r);
                    case Wire.REPLY_ERROR -> {
                        RemoteFailureException f = new RemoteFailureException(r.code(), "the receiver failed: "
                                + r.message());
                        if (channel.phase() == ChannelSender.Phase.READY) {
                            // still waiting for the other channels: a refusal that channel 0's
                            // handshake reads (of the manifest, say) names the failure better
                            host.failAfterGrace(f);
                        } else {
                            host.fail(f);
                        }
                        return;
                    }
                    default -> throw new MalformedPacketException(ProtocolCode.MALFORMED, id, -1, "reply.kind",
                            Wire.replyKindName(r.kind()), "unexpected during the transfer");
                }
            }
        } catch (EOFException e) {
            // After COMPLETED the receiver closes once it has read our COMMIT.
            if (channel.completedReply() == null && !host.failed()) {
                host.failAfterGrace(new MultiFdException(ProtocolCode.TRANSPORT, "channel " + id
                        + ": the receiver closed the connection without a reply", e));
            }
        } catch (IOException | RuntimeException e) {
            if (channel.completedReply() == null && !host.failed() && !io.isClosed()) {
                host.failAfterGrace(e);
            }
        }
    }
}
