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
package io.multifd.testing.transport;

import io.multifd.api.spi.TransportChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A {@link TransportChannel} that passes every call to another one: the base for wrappers that
 * meter, record, filter or break a connection (tests that inject faults, a metering transport,
 * a transport that encrypts). Override what the wrapper changes; the rest forwards.
 *
 * <p>Thread-safety and ownership are the wrapped channel's: one reading and one writing thread at
 * a time, {@link #close()} from any thread. The wrapper owns the wrapped channel and closes it.
 */
public abstract class ForwardingTransportChannel implements TransportChannel {

    /** The wrapped channel, owned by this wrapper. */
    protected final TransportChannel delegate;

    /**
     * @param delegate the channel to forward to; owned by this wrapper from now on
     */
    protected ForwardingTransportChannel(TransportChannel delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return delegate.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return delegate.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return write(srcs, 0, srcs.length);
    }

    @Override
    public void shutdownOutput() throws IOException {
        delegate.shutdownOutput();
    }

    @Override
    public boolean isOpen() {
        return delegate.isOpen();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public String description() {
        return delegate.description();
    }

    @Override
    public String toString() {
        return description();
    }
}
