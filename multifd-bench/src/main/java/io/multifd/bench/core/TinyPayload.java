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

import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.OutgoingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A benchmark payload that allocates nothing per packet on either side: each body owns a fixed
 * direct buffer and one view of it, made once; the receiver reads into a per-channel scratch
 * buffer. So whatever a hand-off benchmark allocates per packet is the engine's (and the
 * transport's). Wire id 2000.
 */
public final class TinyPayload implements PayloadPlugin<TinyPayload.Body> {

    private final int size;

    /**
     * @param size data bytes per packet
     */
    public TinyPayload(int size) {
        this.size = size;
    }

    /** A body: a fixed buffer and its view. */
    public static final class Body {
        final ByteBuffer data;
        final ByteBuffer view;
        boolean filled;

        Body(int size) {
            data = ByteBuffer.allocateDirect(Math.max(1, size));
            view = data.duplicate();
        }

        /** Marks the body as holding one packet. */
        public void fill() {
            filled = true;
        }
    }

    @Override
    public int id() {
        return 2000;
    }

    @Override
    public String name() {
        return "tiny";
    }

    @Override
    public Body newBody() {
        return new Body(size);
    }

    @Override
    public void resetBody(Body body) {
        body.filled = false;
    }

    @Override
    public PayloadEncoder<Body> newEncoder(SendChannelContext context) {
        return (Body body, OutgoingPacket packet) -> {
            packet.header().putInt(size);
            if (size > 0) {
                body.view.clear().limit(size);
                packet.addData(body.view);
            }
        };
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) {
        return channelId -> new PayloadChannelReceiver() {
            private final ByteBuffer scratch = ByteBuffer.allocateDirect(Math.max(1, size));

            @Override
            public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
                if (packet.header().remaining() != 4 || packet.header().getInt(0) != size || packet.rawLength() != size) {
                    throw packet.malformed("tiny.size", packet.rawLength(), "expected " + size);
                }
                if (size > 0) {
                    scratch.clear();
                    targets.add(scratch);
                }
            }
        };
    }
}
