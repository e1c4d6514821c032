package io.multifd.core.testkit;

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.transport.ForwardingTransportChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a transport to inject faults at message boundaries: it parses the byte stream each side
 * writes (hello, manifest and packets from the sender; replies from the receiver), and can drop
 * chosen messages or cut a connection. Test code only.
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
    public static final class Connector implements TransportConnector {
        private final TransportConnector inner;
        private final PacketRule rule;
        private final Map<Integer, TransportChannel> open = new ConcurrentHashMap<>();

        public Connector(TransportConnector inner, PacketRule rule) {
            this.inner = inner;
            this.rule = rule;
        }

        @Override
        public TransportChannel connect(int channelId, Duration timeout) throws IOException {
            TransportChannel c = inner.connect(channelId, timeout);
            open.put(channelId, c);
            return new Filtering(c, new SenderParser(channelId, rule));
        }

        /** Closes channel {@code id}'s connection underneath the sender, as a network failure would. */
        public void cut(int id) throws IOException {
            TransportChannel c = open.get(id);
            if (c != null) {
                c.close();
            }
        }

        @Override
        public String description() {
            return "faulty " + inner.description();
        }
    }

    /** A listener whose accepted channels can drop replies and be cut. */
    public static final class Listener implements TransportListener {
        private final TransportListener inner;
        private final ReplyRule rule;
        private final AtomicInteger accepted = new AtomicInteger();
        private final Map<Integer, TransportChannel> open = new ConcurrentHashMap<>();

        public Listener(TransportListener inner, ReplyRule rule) {
            this.inner = inner;
            this.rule = rule;
        }

        @Override
        public TransportChannel accept(Duration timeout) throws IOException {
            TransportChannel c = inner.accept(timeout);
            int n = accepted.getAndIncrement();
            open.put(n, c);
            return new Filtering(c, new ReplyParser(n, rule));
        }

        /** Closes the {@code n}-th accepted connection underneath the receiver. */
        public void cut(int n) throws IOException {
            TransportChannel c = open.get(n);
            if (c != null) {
                c.close();
            }
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }

        @Override
        public String description() {
            return "faulty " + inner.description();
        }
    }

    /** Splits a written byte stream into messages and says which to keep. */
    private interface Parser {
        /** Length of the complete message at the start of {@code buf}, or -1 if more bytes are needed. */
        int next(ByteBuffer buf);

        /** Whether to drop the message just measured. */
        boolean drop(ByteBuffer buf);
    }

    private static final class SenderParser implements Parser {
        private final int channel;
        private final PacketRule rule;
        private int stage; // 0 hello, 1 manifest (channel 0), 2 packets

        SenderParser(int channel, PacketRule rule) {
            this.channel = channel;
            this.rule = rule;
        }

        @Override
        public int next(ByteBuffer b) {
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

    private static final class ReplyParser implements Parser {
        private final int connection;
        private final ReplyRule rule;

        ReplyParser(int connection, ReplyRule rule) {
            this.connection = connection;
            this.rule = rule;
        }

        @Override
        public int next(ByteBuffer b) {
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

    /** Buffers what the wrapped side writes and forwards whole messages, minus dropped ones. */
    private static final class Filtering extends ForwardingTransportChannel {
        private final Parser parser;
        private ByteBuffer pending = ByteBuffer.allocate(1 << 16).flip();

        Filtering(TransportChannel inner, Parser parser) {
            super(inner);
            this.parser = parser;
        }

        private synchronized long accept(ByteBuffer[] srcs, int off, int len) throws IOException {
            long total = 0;
            for (int i = off; i < off + len; i++) {
                total += srcs[i].remaining();
            }
            if (pending.capacity() - pending.remaining() < total) {
                ByteBuffer bigger = ByteBuffer.allocate((int) Math.max(pending.capacity() * 2L, pending.remaining() + total));
                bigger.put(pending).flip();
                pending = bigger;
            }
            pending.compact();
            for (int i = off; i < off + len; i++) {
                pending.put(srcs[i]);
            }
            pending.flip();
            while (true) {
                int m = parser.next(pending);
                if (m < 0) {
                    break;
                }
                boolean drop = parser.drop(pending);
                ByteBuffer msg = pending.slice(pending.position(), m);
                pending.position(pending.position() + m);
                if (!drop) {
                    while (msg.hasRemaining()) {
                        delegate.write(msg);
                    }
                }
            }
            return total;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return (int) accept(new ByteBuffer[] {src}, 0, 1);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return accept(srcs, offset, length);
        }

        @Override
        public String description() {
            return "faulty " + delegate.description();
        }
    }
}
