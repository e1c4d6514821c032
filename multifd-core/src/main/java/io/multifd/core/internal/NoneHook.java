package io.multifd.core.internal;

import com.google.auto.service.AutoService;
import io.multifd.api.HookOptions;
import io.multifd.api.spi.HookContext;
import io.multifd.api.spi.HookDecoder;
import io.multifd.api.spi.HookEncoder;
import io.multifd.api.spi.IncomingPacket;
import io.multifd.api.spi.SendPrepareHook;

import java.nio.ByteBuffer;

/**
 * The identity hook {@code none} (wire id 0): data travels as it is, so the receiver reads it
 * straight from the channel into the payload's buffers (a scattering read) and the sender writes
 * it straight from the payload's buffers (a gathering write). Ships in core so that migrating
 * without compression needs no codec jar. Stateless; takes no options.
 */
@AutoService(SendPrepareHook.class)
public final class NoneHook implements SendPrepareHook {

    /** The name users select it by. */
    public static final String NAME = "none";

    private static final HookEncoder ENCODER = new HookEncoder() {
        @Override
        public boolean encode(ByteBuffer[] data, int offset, int count, int rawLength, EncodeSink sink) {
            return false;
        }

        @Override
        public void close() {
        }
    };

    /** Public for {@link java.util.ServiceLoader}. */
    public NoneHook() {
    }

    @Override
    public int id() {
        return NONE_ID;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void validate(HookOptions options) {
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("compression 'none' takes no options: " + options);
        }
    }

    @Override
    public HookEncoder newEncoder(HookOptions options, HookContext context) {
        return ENCODER;
    }

    @Override
    public HookDecoder newDecoder(HookOptions options, HookContext context) {
        return new HookDecoder() {
            @Override
            public ByteBuffer inputBuffer(int encodedLength) {
                throw new IllegalStateException("'none' never receives encoded data");
            }

            @Override
            public void decode(ByteBuffer input, ByteBuffer[] targets, int offset, int count, int rawLength,
                               boolean streamReset, IncomingPacket packet) {
                throw new IllegalStateException("'none' never receives encoded data");
            }

            @Override
            public void close() {
            }
        };
    }
}
