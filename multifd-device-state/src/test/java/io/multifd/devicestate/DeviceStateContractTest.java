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
package io.multifd.devicestate;

import io.multifd.api.SendSession;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.devicestate.internal.DeviceStateWire;
import io.multifd.testing.Hashes;
import io.multifd.testing.contract.AbstractPayloadPluginContractTest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static io.multifd.devicestate.ReceiverHarness.header;

/** The device-state plug-in keeps the payload plug-in contract of multifd-testing. */
class DeviceStateContractTest extends AbstractPayloadPluginContractTest<DeviceStateBody> {

    private static final int MAX_BUFFER = 4096;
    private static final int MAX_BUFFERS = 64;
    private static final int INSTANCE = 7;
    private static final byte[] DEV = "dev".getBytes(StandardCharsets.UTF_8);

    /** Device id to state: empty, smaller than a buffer, an exact multiple, several buffers. */
    private final Map<String, byte[]> source = new TreeMap<>();
    /** What the loaders received, per device id. */
    private final Map<String, ByteArrayOutputStream> destination = new ConcurrentHashMap<>();

    DeviceStateContractTest() {
        Random r = new Random(51);
        for (int size : new int[] {0, 100, 2 * MAX_BUFFER, 10 * MAX_BUFFER + 17}) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            source.put("dev-" + size, b);
        }
    }

    @Override
    protected PayloadPlugin<DeviceStateBody> sendingPlugin() {
        return new DeviceStatePayload();
    }

    @Override
    protected PayloadPlugin<?> receivingPlugin() {
        return DeviceStatePayload.builder().maxBuffersPerDevice(MAX_BUFFERS).loaderFactory((id, instance) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            destination.put(id, out);
            return buffer -> {
                byte[] b = new byte[buffer.remaining()];
                buffer.get(b);
                synchronized (out) {
                    out.writeBytes(b);
                }
            };
        }).build();
    }

    @Override
    protected SourceClient openSource(SendSession session) {
        DeviceStateSaver saver = DeviceStateSaver.open(session, MAX_BUFFER);
        return () -> {
            for (Map.Entry<String, byte[]> e : source.entrySet()) {
                saver.save(e.getKey(), INSTANCE, e.getValue());
            }
        };
    }

    @Override
    protected String sourceHash() {
        return hash(source);
    }

    @Override
    protected String destinationHash() {
        Map<String, byte[]> received = new TreeMap<>();
        destination.forEach((id, out) -> {
            synchronized (out) {
                received.put(id, out.toByteArray());
            }
        });
        return hash(received);
    }

    /** Every device's id, length and bytes, in id order. */
    private static String hash(Map<String, byte[]> states) {
        MessageDigest md = Hashes.newDigest();
        for (Map.Entry<String, byte[]> e : new TreeMap<>(states).entrySet()) {
            md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
            md.update(ByteBuffer.allocate(9).put((byte) 0).putLong(e.getValue().length).flip());
            md.update(e.getValue());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @Override
    protected List<HostilePacket> hostilePackets() {
        return List.of(
                new HostilePacket("a short header", ByteBuffer.allocate(DeviceStateWire.FIXED_HEADER_LENGTH - 1), 1,
                        "device-state.header-length"),
                new HostilePacket("reserved flag bits", wrap(header(0x80, DEV, 0, INSTANCE, 0)), 1, "device-state.flags"),
                new HostilePacket("an empty id", wrap(header(0, new byte[0], 0, INSTANCE, 0)), 1, "device-state.id-length"),
                new HostilePacket("an id length beyond the header",
                        wrap(header(0, DEV, 0, INSTANCE, 0)).put(1, (byte) 9), 1, "device-state.header-length"),
                new HostilePacket("reserved bytes", wrap(header(0, DEV, 1, INSTANCE, 0)), 1, "device-state.reserved"),
                new HostilePacket("an id that is not UTF-8", wrap(header(0, new byte[] {(byte) 0xC3, 0x28}, 0, INSTANCE, 0)), 1,
                        "device-state.id"),
                new HostilePacket("an empty buffer that is not the last", wrap(header(0, DEV, 0, INSTANCE, 0)), 0,
                        "device-state.length"));
    }

    @Override
    protected List<HostileSetupRecord> hostileSetupRecords() {
        return List.of(
                new HostileSetupRecord("a truncated record", ByteBuffer.allocate(3), "device-state.setup.length"),
                new HostileSetupRecord("an unknown version", DeviceStateWire.setupRecord(MAX_BUFFER).put(0, (byte) 9),
                        "device-state.setup.version"),
                new HostileSetupRecord("a zero max buffer length", DeviceStateWire.setupRecord(MAX_BUFFER).putInt(4, 0),
                        "device-state.setup.max-buffer-length"));
    }

    @Override
    protected List<PacketCap> packetCaps() {
        return List.of(
                new PacketCap("device-state.length", MAX_BUFFER,
                        length -> new PacketBytes(wrap(header(0, DEV, 0, INSTANCE, 0)), new byte[(int) length])),
                new PacketCap("device-state.index", MAX_BUFFERS - 1,
                        index -> new PacketBytes(wrap(header(0, DEV, 0, INSTANCE, (int) index)), new byte[1])));
    }

    private static ByteBuffer wrap(byte[] b) {
        return ByteBuffer.wrap(b);
    }
}
