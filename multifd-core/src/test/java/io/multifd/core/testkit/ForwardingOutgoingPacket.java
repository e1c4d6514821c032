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

import io.multifd.api.spi.OutgoingPacket;

import java.nio.ByteBuffer;

/**
 * Passes every call through to a real packet; a test overrides the calls it wants to watch or
 * change (to make a plug-in add its data as stable, or misbehave). The channel thread, as the
 * packet it wraps.
 */
public class ForwardingOutgoingPacket implements OutgoingPacket {

    private final OutgoingPacket packet;

    /** @param packet the packet every call goes to */
    public ForwardingOutgoingPacket(OutgoingPacket packet) {
        this.packet = packet;
    }

    /** @return the packet every call goes to */
    protected OutgoingPacket packet() {
        return packet;
    }

    @Override
    public int channelId() {
        return packet.channelId();
    }

    @Override
    public ByteBuffer header() {
        return packet.header();
    }

    @Override
    public void addData(ByteBuffer data) {
        packet.addData(data);
    }

    @Override
    public int dataLength() {
        return packet.dataLength();
    }

    @Override
    public int maxDataLength() {
        return packet.maxDataLength();
    }

    @Override
    public void countItems(long items, long elidedItems) {
        packet.countItems(items, elidedItems);
    }
}
