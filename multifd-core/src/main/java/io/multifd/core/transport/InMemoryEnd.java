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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * One end of an {@link InMemoryTransport} connection: reads from one pipe, writes to the other.
 * One reader and one writer thread at a time, as {@link TransportChannel} says; {@link #close()}
 * from any thread makes blocked calls on both pipes return.
 */
final class InMemoryEnd implements TransportChannel {
    private final InMemoryTransport.Pipe in;
    private final InMemoryTransport.Pipe out;
    private final String description;
    private volatile boolean open = true;

    InMemoryEnd(InMemoryTransport.Pipe in, InMemoryTransport.Pipe out, String description) {
        this.in = in;
        this.out = out;
        this.description = description;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureOpen();
        return in.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        ensureOpen();
        return in.read(dsts, offset, length);
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureOpen();
        return out.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        ensureOpen();
        return out.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public void shutdownOutput() {
        out.shutdownWriter(false);
    }

    private void ensureOpen() throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
        out.shutdownWriter(true);
        in.closeReader();
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return description;
    }
}
