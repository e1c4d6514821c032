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
package io.multifd.devicestate.internal;

import io.multifd.devicestate.DeviceStateBody;

import java.nio.ByteBuffer;

/**
 * The way the encoder in this package reads the parts of a {@link DeviceStateBody} that are not
 * public API: the device id as UTF-8 and the sealed data buffer. The exported package installs
 * the one implementation when {@link DeviceStateBody} is initialized; since this package is not
 * exported, nothing outside the module can reach it on the module path.
 *
 * <p>Thread-safe: the implementation is stateless, and {@link #get()} may be called from any
 * thread. What it returns is the body's own (no copy), read by the slot's owner only.
 */
public abstract class BodyAccess {

    private static volatile BodyAccess installed;

    /** For the one implementation, in the exported package. */
    protected BodyAccess() {
    }

    /**
     * Installs the implementation. Called once, by {@link DeviceStateBody}'s class initializer.
     *
     * @param access the implementation
     * @throws IllegalStateException if one is installed already
     */
    public static synchronized void install(BodyAccess access) {
        if (installed != null) {
            throw new IllegalStateException("BodyAccess is installed already");
        }
        installed = access;
    }

    /**
     * Returns the implementation, initializing {@link DeviceStateBody} first if nothing did yet.
     *
     * @return the implementation
     */
    public static BodyAccess get() {
        BodyAccess a = installed;
        if (a == null) {
            try {
                Class.forName(DeviceStateBody.class.getName(), true, BodyAccess.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            a = installed;
            if (a == null) {
                throw new IllegalStateException("DeviceStateBody did not install its BodyAccess");
            }
        }
        return a;
    }

    /**
     * The device id of a body as UTF-8.
     *
     * @param body the body
     * @return its own array (never modified), or {@code null} if the body is empty
     */
    public abstract byte[] idBytes(DeviceStateBody body);

    /**
     * The data of a sealed body: the buffer's bytes from 0 to its limit.
     *
     * @param body the body, sealed
     * @return its own buffer, or {@code null} if it never held data; the caller must not move its
     *         position or limit
     */
    public abstract ByteBuffer data(DeviceStateBody body);
}
