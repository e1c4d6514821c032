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

import java.nio.ByteBuffer;

/**
 * Consumes one device's state on the receiver, buffer by buffer, strictly in the order the saver
 * cut it (buffer index 0, 1, 2, ...), whatever channel each buffer arrived on.
 *
 * <h2>Threads</h2>
 * Every device has a load thread of its own (named after the receiver's session and the device,
 * e.g. {@code multifd-recv-1a2b3c4d-load-1-nic0#0}), made when the
 * device's first buffer arrives: {@link #load(ByteBuffer)} and {@link #complete()} run on it,
 * one call at a time, while other devices load and RAM keeps arriving. {@link #abort(Throwable)}
 * runs on whichever thread aborts the migration, possibly while {@code load} is running.
 *
 * <h2>Memory</h2>
 * While a loader is slower than the network, received buffers wait for it (bounded per device by
 * {@link DeviceStatePayload.Builder#maxBacklogBytesPerDevice(long)}); beyond that the channels
 * that carry this device's next buffers wait too (back-pressure), up to the I/O timeout without
 * progress of the loader.
 *
 * <h2>Failure</h2>
 * An exception thrown by {@code load} or {@code complete} fails the whole migration, naming the
 * device and the buffer index. The migration's success (COMPLETED) is reported only after every
 * device's {@code complete()} returned.
 */
public interface DeviceStateLoader {

    /**
     * Consumes the next non-empty buffer of the device's state. Called on the device's load
     * thread, in index order; empty buffers (a 0-byte state) are not passed.
     *
     * @param buffer the bytes between position and limit; owned by the loader during the call
     *               only (it may read or even change them), dropped or reused by the library
     *               when the call returns: copy what must be kept
     * @throws Exception to fail the migration
     */
    void load(ByteBuffer buffer) throws Exception;

    /**
     * The device's last buffer was loaded: finish applying the state. Called once, on the load
     * thread, after the last {@link #load(ByteBuffer)}; not called if the migration failed first.
     *
     * @throws Exception to fail the migration
     */
    default void complete() throws Exception {
    }

    /**
     * The migration failed (a channel error, a malformed packet, another loader's exception, the
     * sender gave up) before this loader completed: drop what was loaded and make a running
     * {@code load} return soon. Called at most once, on the thread that aborted, possibly while
     * {@code load} runs on the load thread (which is also interrupted). Must not block; an
     * exception it throws is logged and ignored.
     *
     * @param cause the first error of the migration
     */
    default void abort(Throwable cause) {
    }
}
