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
package io.multifd.bench.ram;

import io.multifd.api.MalformedPacketException;
import io.multifd.api.MultiFdConfig;
import io.multifd.api.ProtocolCode;
import io.multifd.api.SessionId;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamBody;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSetupRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Steady-state cost of the RAM send path (body fill + {@code prepare}: zero-page detection,
 * header, page views) and receive path ({@code begin}: validation and targets; {@code end}: zero
 * pages), per page, over a 64 MiB block (half zero pages, half data, mixed). Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} is the bytes allocated per page, which must be 0
 * (nothing proportional to the data; nothing per packet either).
 *
 * <p>The core's part (writing or reading the bytes) is not included: the stub packet only
 * records what the plug-in names, so this is the plug-in's own overhead.
 *
 * <p>Run: {@code java -jar multifd-bench/target/benchmarks.jar RamPathAllocBench -f 1 -wi 2 -i 5 -prof gc}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RamPathAllocBench {

    static final long LENGTH = 64L << 20;
    static final int PAGE = 4096;
    static final int PER_PACKET = RamPayload.DEFAULT_BATCH_BYTES / PAGE;
    static final MultiFdConfig CONFIG = MultiFdConfig.defaults();

    /** {@code registered}: zero pages are checked on the destination; {@code zeroed}: known-zero destination. */
    @Param({"registered", "zeroed"})
    public String destination;

    RamBlock src;
    RamBlock dst;
    RamPayload payload;
    PayloadEncoder<RamBody> encoder;
    RamBody body;
    Out out;
    PayloadChannelReceiver receiver;
    In[] packets;
    Targets targets;
    long nextPage;
    int nextPacket;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        src = RamBlock.allocate("pc.ram", LENGTH);
        dst = RamBlock.allocate("pc.ram", LENGTH);
        SplittableRandom rnd = new SplittableRandom(1);
        for (long off = 0; off < LENGTH; off += PAGE) {
            if (rnd.nextBoolean()) {
                src.putLong(off + PAGE - 64, rnd.nextLong() | 1);
            }
        }
        payload = RamPayload.sending();
        encoder = payload.newEncoder(new SendChannelContext() {
            @Override
            public int channelId() {
                return 0;
            }

            @Override
            public int channelCount() {
                return 1;
            }

            @Override
            public MultiFdConfig config() {
                return CONFIG;
            }
        });
        body = payload.newBody();
        out = new Out();
        ByteBuffer record = RamSetupRecord.of(payload.batchBytes(), List.of(src)).encode();
        RamDestination d = destination.equals("zeroed") ? RamDestination.creatingZeroed(i -> dst) : RamDestination.of(dst);
        receiver = RamPayload.receiving(d).openReceiver(new Ctx(), record).openChannel(0);
        // every packet of the block, prepared once: the receive benchmark replays their headers
        int count = (int) (LENGTH / PAGE / PER_PACKET);
        packets = new In[count];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < PER_PACKET; k++) {
                body.add(src, ((long) i * PER_PACKET + k) * PAGE);
            }
            out.reset();
            encoder.prepare(body, out);
            payload.resetBody(body);
            ByteBuffer h = out.header.duplicate().flip();
            ByteBuffer copy = ByteBuffer.allocate(h.remaining());
            copy.put(h).flip();
            packets[i] = new In(copy.asReadOnlyBuffer(), out.dataLength);
        }
        targets = new Targets();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        encoder.close();
        receiver.close();
    }

    /** One packet of 128 pages: fill the body, prepare, reset. Score: ns per page. */
    @Benchmark
    @OperationsPerInvocation(PER_PACKET)
    public int sendPrepare() throws IOException {
        long page = nextPage;
        for (int k = 0; k < PER_PACKET; k++) {
            body.add(src, page * PAGE);
            page++;
        }
        nextPage = page == LENGTH / PAGE ? 0 : page;
        out.reset();
        encoder.prepare(body, out);
        payload.resetBody(body);
        return out.dataLength;
    }

    /** One packet of 128 pages: validate and name the targets, then apply zero pages. Score: ns per page. */
    @Benchmark
    @OperationsPerInvocation(PER_PACKET)
    public int receiveBeginEnd() throws IOException {
        In p = packets[nextPacket];
        nextPacket = nextPacket + 1 == packets.length ? 0 : nextPacket + 1;
        targets.count = 0;
        receiver.begin(p, targets);
        receiver.end(p);
        return targets.count;
    }

    static final class Out implements OutgoingPacket {
        final ByteBuffer header = ByteBuffer.allocate(CONFIG.maxPayloadHeaderLength());
        int dataLength;
        int buffers;

        void reset() {
            header.clear();
            dataLength = 0;
            buffers = 0;
        }

        @Override
        public int channelId() {
            return 0;
        }

        @Override
        public ByteBuffer header() {
            return header;
        }

        @Override
        public void addData(ByteBuffer data) {
            dataLength += data.remaining();
            buffers++;
        }

        @Override
        public int dataLength() {
            return dataLength;
        }

        @Override
        public int maxDataLength() {
            return CONFIG.maxPacketDataLength();
        }

        @Override
        public void countItems(long items, long elidedItems) {
        }
    }

    static final class In implements IncomingPacket {
        final ByteBuffer header;
        final int raw;

        In(ByteBuffer header, int raw) {
            this.header = header;
            this.raw = raw;
        }

        @Override
        public int channelId() {
            return 0;
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
            return 0;
        }

        @Override
        public ByteBuffer header() {
            return header;
        }

        @Override
        public int rawLength() {
            return raw;
        }

        @Override
        public MalformedPacketException malformed(String field, Object value, String reason) {
            return new MalformedPacketException(ProtocolCode.MALFORMED, 0, 0, field, value, reason);
        }

        @Override
        public void countItems(long items, long elidedItems) {
        }
    }

    static final class Targets implements DataTargets {
        int count;

        @Override
        public void add(ByteBuffer target) {
            count++;
        }
    }

    static final class Ctx implements ReceiveContext {
        @Override
        public SessionId sessionId() {
            return new SessionId(0, 1);
        }

        @Override
        public int channelCount() {
            return 1;
        }

        @Override
        public MultiFdConfig config() {
            return CONFIG;
        }

        @Override
        public ThreadFactory threadFactory(String purpose) {
            return Executors.defaultThreadFactory();
        }

        @Override
        public void fail(Throwable cause) {
        }
    }
}
