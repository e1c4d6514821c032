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
package io.multifd.testing;

import java.nio.ByteBuffer;

/**
 * Destination buffers for a decoder, carved out of one larger buffer with guard bytes before and
 * after: a decoder that writes outside its targets changes a guard byte. The targets are
 * duplicates with position and limit set (not slices), so the guards lie inside the same
 * memory region a native decoder would be handed.
 *
 * <p>Owned by the test; the decoder fills the targets during {@code decode}. Not thread-safe.
 */
public final class GuardedTargets {

    /** Guard bytes before and after the targets. */
    public static final int GUARD = 512;
    /** The value of every guard byte. */
    public static final byte GUARD_BYTE = (byte) 0xA5;

    /** The whole region: guards and targets. */
    public final ByteBuffer whole;
    /** The targets, in order, to hand to a decoder. */
    public final ByteBuffer[] targets;
    /** Total target bytes. */
    public final int length;
    private final int step;

    /**
     * @param length total target bytes
     * @param direct direct or heap memory
     * @param piece  bytes per target; 0 for one target
     */
    public GuardedTargets(int length, boolean direct, int piece) {
        this.length = length;
        int cap = length + 2 * GUARD;
        whole = direct ? ByteBuffer.allocateDirect(cap) : ByteBuffer.allocate(cap);
        for (int i = 0; i < cap; i++) {
            whole.put(i, GUARD_BYTE);
        }
        int n = piece <= 0 ? 1 : Math.max(1, (length + piece - 1) / piece);
        step = piece <= 0 ? length : piece;
        targets = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            int from = GUARD + i * step;
            int to = Math.min(GUARD + length, from + step);
            targets[i] = whole.duplicate().limit(to).position(from);
        }
    }

    /**
     * Re-positions the targets for another packet of the same length.
     *
     * @return this
     */
    public GuardedTargets rewind() {
        for (int i = 0; i < targets.length; i++) {
            int from = GUARD + i * step;
            targets[i].limit(Math.min(GUARD + length, from + step)).position(from);
        }
        return this;
    }

    /** True if no guard byte changed. */
    public boolean guardsIntact() {
        for (int i = 0; i < GUARD; i++) {
            if (whole.get(i) != GUARD_BYTE || whole.get(GUARD + length + i) != GUARD_BYTE) {
                return false;
            }
        }
        return true;
    }

    /** True if every target's position reached its limit. */
    public boolean allTargetsFull() {
        for (ByteBuffer t : targets) {
            if (t.hasRemaining()) {
                return false;
            }
        }
        return true;
    }

    /** A copy of the target bytes, in order. */
    public byte[] contents() {
        byte[] b = new byte[length];
        whole.get(GUARD, b, 0, length);
        return b;
    }
}
