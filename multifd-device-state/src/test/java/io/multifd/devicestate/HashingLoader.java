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

import io.multifd.testing.Hashes;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** A loader that hashes what it receives (SHA-256) and records how it was called. */
class HashingLoader implements DeviceStateLoader {

    private final MessageDigest digest;
    final AtomicInteger loads = new AtomicInteger();
    volatile long bytes;
    volatile boolean completed;
    final AtomicReference<Throwable> aborted = new AtomicReference<>();
    final CountDownLatch done = new CountDownLatch(1);
    volatile String loadThread;

    HashingLoader() {
        digest = Hashes.newDigest();
    }

    @Override
    public void load(ByteBuffer buffer) throws Exception {
        loadThread = Thread.currentThread().getName();
        loads.incrementAndGet();
        bytes += buffer.remaining();
        digest.update(buffer);
    }

    @Override
    public void complete() {
        completed = true;
        done.countDown();
    }

    @Override
    public void abort(Throwable cause) {
        aborted.compareAndSet(null, cause);
        done.countDown();
    }

    /** The hash of what was loaded; call once, after completion. */
    String hash() {
        return HexFormat.of().formatHex(digest.digest());
    }

    static String sha256(byte[] data) {
        return Hashes.sha256(data);
    }
}
