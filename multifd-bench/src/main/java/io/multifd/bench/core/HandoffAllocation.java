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

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Bytes allocated per packet, thread by thread, in steady state: JMH's {@code -prof gc} divides
 * the whole JVM's allocation (its own bookkeeping included) by the operations, which at a few
 * tens of thousands of packets per second is a few bytes of noise per packet; the per-thread
 * counters of {@code com.sun.management.ThreadMXBean} show which thread allocates what.
 *
 * <pre>
 * java -cp multifd-bench/target/benchmarks.jar io.multifd.bench.core.HandoffAllocation [memory|tcp] [channels] [packets]
 * </pre>
 */
public final class HandoffAllocation {

    private HandoffAllocation() {
    }

    /**
     * @param args transport, channels, packets
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        String kind = args.length > 0 ? args[0] : "memory";
        int channels = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int packets = args.length > 2 ? Integer.parseInt(args[2]) : 200_000;
        TransportListener listener;
        TransportConnector connector;
        if (kind.equals("memory")) {
            InMemoryTransport t = InMemoryTransport.create();
            listener = t.listener();
            connector = t.connector();
        } else {
            TcpTransport.Listener l = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener = l;
            connector = TcpTransport.connector(l.localAddress());
        }
        MultiFdConfig config = MultiFdConfig.builder().channels(channels).build();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (MultiFdReceiver receiver = MultiFdReceiver.builder(config, listener).registry(PluginRegistry.builder().build())
                .payload(new TinyPayload(64)).build().start();
             MultiFdSender sender = MultiFdSender.builder(config, connector).registry(PluginRegistry.builder().build())
                     .payload(new TinyPayload(64)).build()) {
            TinyPayload p = sender.payload(TinyPayload.class).orElseThrow();
            sender.declare(p, ByteBuffer.allocate(0));
            sender.connect();
            SendData slot = sender.newSlot();
            for (int i = 0; i < packets; i++) { // warm-up: JIT, first-contention structures
                slot.fill(p).fill();
                slot = sender.send(slot);
            }
            Map<Thread, Long> before = new LinkedHashMap<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                before.put(t, mx.getThreadAllocatedBytes(t.getId()));
            }
            long mainBefore = mx.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            for (int i = 0; i < packets; i++) {
                slot.fill(p).fill();
                slot = sender.send(slot);
            }
            long t1 = System.nanoTime();
            long mainAfter = mx.getCurrentThreadAllocatedBytes();
            System.out.printf(Locale.ROOT, "%s, %d channel(s), %d packets of 64 bytes: %.0f ns per packet%n",
                    kind, channels, packets, (t1 - t0) / (double) packets);
            System.out.printf(Locale.ROOT, "  %-28s %8.3f bytes per packet%n", "client (send)",
                    (mainAfter - mainBefore) / (double) packets);
            for (Map.Entry<Thread, Long> e : before.entrySet()) {
                Thread t = e.getKey();
                if (t.getName().startsWith("multifd-")) {
                    long d = mx.getThreadAllocatedBytes(t.getId()) - e.getValue();
                    System.out.printf(Locale.ROOT, "  %-28s %8.3f bytes per packet%n", t.getName(), d / (double) packets);
                }
            }
            sender.finish();
            receiver.await();
        }
    }
}
