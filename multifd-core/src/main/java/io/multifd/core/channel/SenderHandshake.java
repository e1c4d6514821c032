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

import io.multifd.api.ChannelTimeoutException;
import io.multifd.api.HandshakeRefusedException;
import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.MultiFdException;
import io.multifd.api.ProtocolCode;
import io.multifd.api.RemoteFailureException;
import io.multifd.api.spi.Codec;
import io.multifd.core.wire.Hello;
import io.multifd.core.wire.Reply;
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * A sending channel's handshake: connects, writes the hello and checks the reply (connecting
 * again when the receiver closed the connection before answering, see {@link DroppedHelloRetry}),
 * and on channel 0 writes the manifest and checks its reply. Split out of {@link ChannelSender}
 * so that the channel class is about streaming.
 *
 * <p>Runs on the channel thread only; the connection it returns is owned by that thread. Each
 * connection it opens is handed to {@code connected} at once, so that the session's abort can
 * close it while the handshake waits.
 */
final class SenderHandshake {

    private static final System.Logger LOG = System.getLogger("io.multifd.core.MultiFdSender");

    private SenderHandshake() {
    }

    /**
     * Connects and handshakes channel {@code id}.
     *
     * @param id        the channel id
     * @param setup     the session's channel set-up
     * @param host      the session (its failure stops the retries)
     * @param connected told of each connection as soon as it is open (channel thread)
     * @param phase     told of each phase reached: HELLO_SENT, MANIFEST_SENT (channel thread)
     * @return the connection, handshaken; its timeouts are still the handshake's
     * @throws IOException a refusal, an error reply, a malformed reply, or a transport failure
     */
    static ChannelIo run(int id, ChannelSender.Setup setup, ChannelSender.Host host, Consumer<ChannelIo> connected,
                         Consumer<ChannelSender.Phase> phase) throws IOException {
        MultiFdConfig config = setup.config();
        Codec codec = setup.codec();
        Hello hello = new Hello(Wire.MIN_VERSION, Wire.MAX_VERSION, setup.sessionId(), id, setup.channelCount(),
                codec.id(), setup.codecOptions().toString(), setup.routes().features(), config.maxPacketDataLength());
        DroppedHelloRetry retry = new DroppedHelloRetry(config.connectTimeout().toNanos());
        ChannelIo c;
        Reply r;
        while (true) {
            c = null;
            try {
                c = new ChannelIo(setup.connector().connect(id, retry.connectTimeout()), setup.watchdog(), id,
                        "sender", config.handshakeTimeout());
                connected.accept(c);
                if (host.failed()) {
                    c.forceCloseAfter(setup.graceNanos());
                }
                c.writeFully(hello.encode(), "hello");
                phase.accept(ChannelSender.Phase.HELLO_SENT);
                r = Reply.read(c);
                break;
            } catch (IOException e) {
                if (host.failed() || !retry.again(e, c)) {
                    if (retry.retries() > 0) { // said once, not per attempt
                        String m = "channel " + id + ": the receiver closed " + retry.retries() + " earlier connections "
                                + "before answering, within the connect timeout (its pending connections full, or not a "
                                + "multifd receiver); the last attempt: " + e.getMessage();
                        throw e instanceof ChannelTimeoutException ? new ChannelTimeoutException(m, e)
                                : new MultiFdException(ProtocolCode.TRANSPORT, m, e);
                    }
                    if (e instanceof ChannelTimeoutException && c != null && c.offset() == 0 && !host.failed()) {
                        // connected, hello written, not a byte back: something accepts there, nothing answers
                        throw new ChannelTimeoutException(e.getMessage() + "; no reply to the hello: is a multifd "
                                + "receiver started there (a listener bound but never started accepts and says nothing)?", e);
                    }
                    throw e;
                }
                LOG.log(System.Logger.Level.DEBUG, "channel " + id + ": the receiver closed the connection before "
                        + "answering (its pending connections full?); connecting again (" + retry.retries()
                        + ")");
                if (c != null) {
                    c.close();
                }
            }
        }
        switch (r.kind()) {
            case Wire.REPLY_HELLO_ACCEPT -> {
                if (r.version() < Wire.MIN_VERSION || r.version() > Wire.MAX_VERSION) {
                    throw new MalformedPacketException(ProtocolCode.UNSUPPORTED_VERSION, id, 0, "reply.version",
                            r.version(), "the receiver chose a version this sender does not speak");
                }
            }
            case Wire.REPLY_HELLO_REFUSE -> throw new HandshakeRefusedException(r.code(), id,
                    "the receiver refused channel " + id + ": " + r.message());
            case Wire.REPLY_ERROR -> throw new RemoteFailureException(r.code(), "the receiver failed: " + r.message());
            default -> throw new MalformedPacketException(ProtocolCode.MALFORMED, id, 0, "reply.kind",
                    Wire.replyKindName(r.kind()), "expected HELLO_ACCEPT or HELLO_REFUSE");
        }
        if (id == 0) {
            c.writeFully(setup.manifest().encode(), "manifest");
            phase.accept(ChannelSender.Phase.MANIFEST_SENT);
            Reply m = Reply.read(c);
            switch (m.kind()) {
                case Wire.REPLY_MANIFEST_ACCEPT -> {
                }
                case Wire.REPLY_MANIFEST_REFUSE -> throw new HandshakeRefusedException(m.code(), id,
                        "the receiver refused the manifest: " + m.message());
                case Wire.REPLY_ERROR -> throw new RemoteFailureException(m.code(), "the receiver failed: " + m.message());
                default -> throw new MalformedPacketException(ProtocolCode.MALFORMED, id, 0, "reply.kind",
                        Wire.replyKindName(m.kind()), "expected MANIFEST_ACCEPT or MANIFEST_REFUSE");
            }
        }
        return c;
    }
}
