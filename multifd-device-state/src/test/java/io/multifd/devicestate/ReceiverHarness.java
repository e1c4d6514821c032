package io.multifd.devicestate;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SessionId;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.devicestate.internal.DeviceStateReceiver;
import io.multifd.devicestate.internal.DeviceStateWire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Plays the core's receiving side for unit tests: a {@link ReceiveContext} whose {@code fail}
 * records the first cause and aborts the receiver (as the core does), and {@link #deliver} which
 * runs begin, fills the targets and runs end.
 */
final class ReceiverHarness implements AutoCloseable {

    final MultiFdConfig config;
    final AtomicReference<Throwable> failed = new AtomicReference<>();
    final AtomicReference<Boolean> failThreadInterrupted = new AtomicReference<>();
    final List<Thread> threads = new ArrayList<>();
    final PayloadReceiver receiver;
    private final AtomicInteger threadNumber = new AtomicInteger();

    ReceiverHarness(DeviceStatePayload plugin, MultiFdConfig config, int maxBufferLength) throws IOException {
        this.config = config;
        this.receiver = plugin.openReceiver(context(), DeviceStateWire.setupRecord(maxBufferLength));
    }

    ReceiverHarness(DeviceStatePayload plugin, MultiFdConfig config, ByteBuffer setupRecord) throws IOException {
        this.config = config;
        this.receiver = plugin.openReceiver(context(), setupRecord);
    }

    DeviceStateReceiver impl() {
        return (DeviceStateReceiver) receiver;
    }

    ReceiveContext context() {
        return new ReceiveContext() {
            @Override
            public SessionId sessionId() {
                return new SessionId(1, 2);
            }

            @Override
            public int channelCount() {
                return config.channels();
            }

            @Override
            public MultiFdConfig config() {
                return config;
            }

            @Override
            public ThreadFactory threadFactory(String purpose) {
                return r -> {
                    Thread t = new Thread(r, "multifd-" + purpose + "-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    synchronized (threads) {
                        threads.add(t);
                    }
                    return t;
                };
            }

            @Override
            public void fail(Throwable cause) {
                if (failed.compareAndSet(null, cause)) {
                    receiver.abort(cause);
                    // the core goes on writing ERROR replies on this thread: it must not be interrupted
                    failThreadInterrupted.set(Thread.currentThread().isInterrupted());
                }
            }
        };
    }

    /** Runs one packet through a channel receiver: begin, fill targets with {@code data}, end. */
    static void deliver(PayloadChannelReceiver ch, int channel, long offset, byte[] header, byte[] data) throws IOException {
        StubIncoming p = new StubIncoming(channel, offset, header, data.length);
        List<ByteBuffer> targets = new ArrayList<>();
        DataTargets t = targets::add;
        ch.begin(p, t);
        int pos = 0;
        for (ByteBuffer b : targets) {
            int n = b.remaining();
            b.put(data, pos, n);
            pos += n;
        }
        if (pos != data.length) {
            throw new AssertionError("targets took " + pos + " of " + data.length + " bytes");
        }
        ch.end(p);
    }

    /** Builds a payload header, possibly malformed. */
    static byte[] header(int flags, byte[] id, int reserved, int instance, int index) {
        ByteBuffer b = ByteBuffer.allocate(DeviceStateWire.FIXED_HEADER_LENGTH + id.length);
        b.put((byte) flags).put((byte) id.length).putShort((short) reserved).putInt(instance).putInt(index).put(id);
        return b.array();
    }

    /** Ends the receiver and checks that every load thread ended. */
    @Override
    public void close() {
        receiver.close();
    }

    /** Threads made by this harness still alive. */
    List<Thread> aliveThreads() {
        List<Thread> alive = new ArrayList<>();
        synchronized (threads) {
            for (Thread t : threads) {
                if (t.isAlive()) {
                    alive.add(t);
                }
            }
        }
        return alive;
    }

    /** An {@link IncomingPacket} over fixed bytes. */
    static final class StubIncoming implements IncomingPacket {
        private final int channel;
        private final long offset;
        private final ByteBuffer header;
        private final int rawLength;
        long items;

        StubIncoming(int channel, long offset, byte[] header, int rawLength) {
            this.channel = channel;
            this.offset = offset;
            this.header = ByteBuffer.wrap(header).asReadOnlyBuffer();
            this.rawLength = rawLength;
        }

        @Override
        public int channelId() {
            return channel;
        }

        @Override
        public long sequence() {
            return 0;
        }

        @Override
        public long epoch() {
            return 0;
        }

        @Override
        public long streamOffset() {
            return offset;
        }

        @Override
        public ByteBuffer header() {
            return header;
        }

        @Override
        public int rawLength() {
            return rawLength;
        }

        @Override
        public MalformedPacketException malformed(String field, Object value, String reason) {
            return new MalformedPacketException(ProtocolCode.MALFORMED, channel, offset, field, value, reason);
        }

        @Override
        public void countItems(long items, long elidedItems) {
            this.items += items;
        }
    }
}
