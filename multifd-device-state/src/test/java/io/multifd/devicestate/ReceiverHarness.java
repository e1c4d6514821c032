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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.devicestate.internal.DeviceStateReceiver;
import io.multifd.devicestate.internal.DeviceStateWire;
import io.multifd.testing.FakeDataTargets;
import io.multifd.testing.FakeIncomingPacket;
import io.multifd.testing.FakeReceiveContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Plays the core's receiving side for unit tests: a receive context whose {@code fail} records the
 * first cause and aborts the receiver (as the core does), and {@link #deliver} which runs begin,
 * fills the targets and runs end.
 */
final class ReceiverHarness implements AutoCloseable {

    final MultiFdConfig config;
    final FakeReceiveContext context;
    final PayloadReceiver receiver;

    ReceiverHarness(DeviceStatePayload plugin, MultiFdConfig config, int maxBufferLength) throws IOException {
        this(plugin, config, DeviceStateWire.setupRecord(maxBufferLength));
    }

    ReceiverHarness(DeviceStatePayload plugin, MultiFdConfig config, ByteBuffer setupRecord) throws IOException {
        this.config = config;
        this.context = new FakeReceiveContext(config).onFailure(this::abortReceiver);
        this.receiver = plugin.openReceiver(context, setupRecord);
    }

    private void abortReceiver(Throwable cause) {
        receiver.abort(cause);
    }

    DeviceStateReceiver impl() {
        return (DeviceStateReceiver) receiver;
    }

    /** The first cause the plug-in reported through {@code fail}, or null. */
    Throwable failed() {
        return context.failure();
    }

    /** Runs one packet through a channel receiver: begin, fill targets with {@code data}, end. */
    static void deliver(PayloadChannelReceiver ch, int channel, long offset, byte[] header, byte[] data) throws IOException {
        FakeDataTargets.deliver(ch, new FakeIncomingPacket(channel).streamOffset(offset).header(header), data);
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
        return context.aliveThreads();
    }
}
