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
package io.multifd.core.testkit;

import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.testing.transport.FaultInjectingTransport;

import java.nio.ByteBuffer;

/**
 * The multifd wire's message boundaries for {@link FaultInjectingTransport}: parses the byte
 * stream each side writes (hello, manifest and packets from the sender; replies from the
 * receiver), so that chosen messages can be dropped, and connections cut. Test code only.
 */
public final class FaultyTransport {

    /** What a dropped-packet predicate sees of a sender packet. */
    public record Packet(int channel, int typeId, int flags, long sequence) {
    }

    /** Decides which sender packets to drop. */
    public interface PacketRule {
        boolean drop(Packet p);
    }

    /** Decides which receiver replies to drop, by connection index (0 = first accepted) and kind. */
    public interface ReplyRule {
        boolean drop(int connection, int kind);
    }

    private FaultyTransport() {
    }

    /** A connector whose channels can drop packets and be cut. */
    public static final class Connector extends FaultInjectingTransport.Connector {
        /**
         * @param inner the transport to wrap
         * @param rule  which sender packets to drop
         */
        public Connector(TransportConnector inner, PacketRule rule) {
            super(inner, channelId -> new SenderParser(channelId, rule));
        }
    }

    /** A listener whose accepted channels can drop replies and be cut. */
    public static final class Listener extends FaultInjectingTransport.Listener {
        /**
         * @param inner the transport to wrap
         * @param rule  which receiver replies to drop
         */
        public Listener(TransportListener inner, ReplyRule rule) {
            super(inner, connection -> new ReplyParser(connection, rule));
        }
    }

    private static final class SenderParser implements FaultInjectingTransport.MessageFilter {
        private final int channel;
        private final PacketRule rule;
        private int stage; // 0 hello, 1 manifest (channel 0), 2 packets

        SenderParser(int channel, PacketRule rule) {
            this.channel = channel;
            this.rule = rule;
        }

        @Override
        public int messageLength(ByteBuffer b) {
            int n = b.remaining();
            int p = b.position();
            switch (stage) {
                case 0 -> {
                    if (n < 40) {
                        return -1;
                    }
                    int len = 44 + Short.toUnsignedInt(b.getShort(p + 30));
                    return n >= len ? len : -1;
                }
                case 1 -> {
                    if (n < 12) {
                        return -1;
                    }
                    long len = 16 + Integer.toUnsignedLong(b.getInt(p + 8));
                    return n >= len ? (int) len : -1;
                }
                default -> {
                    if (n < 48) {
                        return -1;
                    }
                    long len = 48 + Integer.toUnsignedLong(b.getInt(p + 24)) + Integer.toUnsignedLong(b.getInt(p + 32));
                    return n >= len ? (int) len : -1;
                }
            }
        }

        @Override
        public boolean drop(ByteBuffer b) {
            int p = b.position();
            if (stage == 0) {
                stage = channel == 0 ? 1 : 2;
                return false;
            }
            if (stage == 1) {
                stage = 2;
                return false;
            }
            return rule.drop(new Packet(channel, Short.toUnsignedInt(b.getShort(p + 4)),
                    Short.toUnsignedInt(b.getShort(p + 6)), b.getLong(p + 8)));
        }
    }

    private static final class ReplyParser implements FaultInjectingTransport.MessageFilter {
        private final int connection;
        private final ReplyRule rule;

        ReplyParser(int connection, ReplyRule rule) {
            this.connection = connection;
            this.rule = rule;
        }

        @Override
        public int messageLength(ByteBuffer b) {
            if (b.remaining() < 28) {
                return -1;
            }
            int len = 32 + Short.toUnsignedInt(b.getShort(b.position() + 10));
            return b.remaining() >= len ? len : -1;
        }

        @Override
        public boolean drop(ByteBuffer b) {
            return rule.drop(connection, Byte.toUnsignedInt(b.get(b.position() + 4)));
        }
    }
}
