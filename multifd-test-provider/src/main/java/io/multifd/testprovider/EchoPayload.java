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
package io.multifd.testprovider;

import com.google.auto.service.AutoService;
import io.multifd.api.spi.DataTargets;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.PayloadChannelReceiver;
import io.multifd.api.spi.PayloadEncoder;
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.PayloadReceiver;
import io.multifd.api.spi.ReceiveContext;
import io.multifd.api.spi.SendChannelContext;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Test payload: each body is one chunk of bytes; the receiving side folds every chunk into a
 * SHA-256 (in arrival order, which the single-channel discovery test keeps). Wire id 900.
 */
@AutoService(PayloadPlugin.class)
public final class EchoPayload implements PayloadPlugin<ByteBuffer> {

    /** Digest of everything received by the last receiving session in this JVM. */
    public static volatile byte[] lastDigest;

    /** For ServiceLoader. */
    public EchoPayload() {
    }

    @Override
    public int id() {
        return 900;
    }

    @Override
    public String name() {
        return "echo";
    }

    @Override
    public ByteBuffer newBody() {
        return ByteBuffer.allocateDirect(64 * 1024);
    }

    @Override
    public void resetBody(ByteBuffer body) {
        body.clear();
    }

    @Override
    public PayloadEncoder<ByteBuffer> newEncoder(SendChannelContext context) {
        return (body, packet) -> {
            packet.header().putInt(body.position());
            packet.addData(body.duplicate().flip());
        };
    }

    @Override
    public PayloadReceiver openReceiver(ReceiveContext context, ByteBuffer setupRecord) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new PayloadReceiver() {
            @Override
            public PayloadChannelReceiver openChannel(int channelId) {
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                return new PayloadChannelReceiver() {
                    @Override
                    public void begin(IncomingPacket packet, DataTargets targets) throws IOException {
                        ByteBuffer h = packet.header();
                        if (h.remaining() != 4 || h.getInt(0) != packet.rawLength() || packet.rawLength() > buf.capacity()) {
                            throw packet.malformed("echo.length", h.remaining() == 4 ? h.getInt(0) : -1,
                                    "must equal the raw length " + packet.rawLength() + " and fit 64 KiB");
                        }
                        buf.clear().limit(packet.rawLength());
                        targets.add(buf);
                    }

                    @Override
                    public void end(IncomingPacket packet) {
                        synchronized (md) {
                            md.update(buf.flip());
                        }
                    }
                };
            }

            @Override
            public void finish(java.time.Duration timeout) {
                synchronized (md) {
                    lastDigest = md.digest();
                }
            }
        };
    }
}
