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
package io.multifd.core.transport;

import io.multifd.api.spi.TransportChannel;
import io.multifd.api.spi.TransportListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.Objects;

/**
 * A listener that records what each accepted connection receives, byte for byte as it arrives
 * and before the receiver validates anything, one file per connection in a directory:
 * {@code channel-K.bin} once the first bytes name channel K in a hello, else (bytes that are not a
 * hello, a channel id already captured, or a connection that ended before its hello's channel id)
 * {@code connection-N.bin}, N counting accepted connections from 0. Only inbound bytes are
 * recorded; replies are not. Wrap the listener above TLS to record plain text.
 *
 * <p>Each file is written by the thread that reads its channel, as the bytes arrive, and closed
 * when the channel closes. A file that cannot be written stops that channel's capture (logged
 * once, as a warning, under {@code io.multifd.core.transport.CaptureListener}); the migration
 * goes on. Existing files of the same name are replaced; new files get mode 0600 where the file
 * system has POSIX permissions (they hold the migrated memory). Decode the files with
 * {@code multifd inspect}.
 *
 * <p>{@link #accept} is called from one thread, {@link #close} from any, as for every listener.
 */
public final class CaptureListener implements TransportListener {

    private final TransportListener inner;
    private final Path dir;
    private final Set<Integer> claimed = new HashSet<>();
    private int accepted;

    private CaptureListener(TransportListener inner, Path dir) {
        this.inner = inner;
        this.dir = dir;
    }

    /**
     * Wraps {@code inner}, creating {@code dir} if needed.
     *
     * @param inner the listener whose connections are recorded; closed with this one
     * @param dir   where the files go
     * @return the capturing listener
     * @throws IOException if {@code dir} cannot be created or is not a directory
     */
    public static CaptureListener wrap(TransportListener inner, Path dir) throws IOException {
        Objects.requireNonNull(inner, "inner");
        Files.createDirectories(dir);
        return new CaptureListener(inner, dir);
    }

    /** The directory the files are written to. */
    public Path directory() {
        return dir;
    }

    /**
     * Accepts the next connection of the wrapped listener and starts recording it.
     *
     * @param timeout how long to wait
     * @return the connection; its reads are recorded, everything else passes through
     * @throws IOException as the wrapped listener's accept
     */
    @Override
    public TransportChannel accept(Duration timeout) throws IOException {
        TransportChannel c = inner.accept(timeout);
        return new CapturedChannel(c, this, accepted++);
    }

    /** True the first time a connection names {@code channel}: it gets the file {@code channel-K.bin}. */
    synchronized boolean claim(int channel) {
        return claimed.add(channel);
    }

    @Override
    public String description() {
        return inner.description() + " (capturing to " + dir + ")";
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
