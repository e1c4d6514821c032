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
package io.multifd.bench.core;

import io.multifd.api.MultiFdConfig;
import io.multifd.api.SendData;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.InMemoryTransport;
import io.multifd.core.transport.TcpTransport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The cost of handing one packet to the engine and through it: a client fills its own slot and
 * calls {@code slot = sender.send(slot)} in a loop; channel threads prepare and write each packet,
 * the receiver's channel threads read and dispatch it. With tiny packets the time per operation
 * is the per-packet overhead of the whole pipe (swap, wake-up, header, CRC, write, read,
 * validation, dispatch) at steady state; {@code -prof gc} gives the bytes allocated per packet.
 *
 * <pre>
 * java -jar multifd-bench/target/benchmarks.jar HandoffBenchmark -prof gc
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class HandoffBenchmark {

    /** Transport under the engine. */
    @Param({"memory", "tcp"})
    public String transport;

    /** Channels. */
    @Param({"1", "2"})
    public int channels;

    /** Data bytes per packet. */
    @Param({"64"})
    public int size;

    private MultiFdSender sender;
    private MultiFdReceiver receiver;
    private TinyPayload plugin;
    private SendData slot;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        TransportListener listener;
        TransportConnector connector;
        if (transport.equals("memory")) {
            InMemoryTransport t = InMemoryTransport.create();
            listener = t.listener();
            connector = t.connector();
        } else {
            TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener = l;
            connector = TcpTransport.connector(l.localAddress());
        }
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).build();
        receiver = MultiFdReceiver.builder(config, listener).registry(PluginRegistry.builder().build())
                .payload(new TinyPayload(size)).build().start();
        sender = MultiFdSender.builder(config, connector).registry(PluginRegistry.builder().build())
                .payload(new TinyPayload(size)).build();
        plugin = sender.payload(TinyPayload.class).orElseThrow();
        sender.declare(plugin, ByteBuffer.allocate(0));
        sender.connect();
        slot = sender.newSlot();
    }

    @Benchmark
    public SendData handoff() throws IOException {
        slot.fill(plugin).fill();
        slot = sender.send(slot);
        return slot;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        sender.finish();
        receiver.await();
        sender.close();
        receiver.close();
    }
}
