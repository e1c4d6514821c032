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
import io.multifd.core.wire.Wire;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * One connection accepted by a {@link CaptureListener}: reads pass through and are appended to the
 * connection's file; writes and everything else pass through unchanged. Reads happen on one
 * thread at a time; {@link #close()} may come from any thread (file operations are synchronized).
 */
final class CapturedChannel implements TransportChannel {

    private static final System.Logger LOG = System.getLogger(CaptureListener.class.getName());

    /** Bytes needed to name the file: a hello's magic and channel id (offset 24, 2 bytes). */
    private static final int NAMING_PREFIX = 26;

    private final TransportChannel inner;
    private final CaptureListener owner;
    private final Path dir;
    private final int connection;
    private final ByteBuffer prefix = ByteBuffer.allocate(NAMING_PREFIX);
    private FileChannel file;
    private boolean stopped;

    CapturedChannel(TransportChannel inner, CaptureListener owner, int connection) {
        this.inner = inner;
        this.owner = owner;
        this.dir = owner.directory();
        this.connection = connection;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int at = dst.position();
        int n = inner.read(dst);
        if (n > 0) {
            record(dst, at, n);
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        int[] at = new int[length];
        for (int i = 0; i < length; i++) {
            at[i] = dsts[offset + i].position();
        }
        long n = inner.read(dsts, offset, length);
        if (n > 0) {
            for (int i = 0; i < length; i++) {
                ByteBuffer b = dsts[offset + i];
                if (b.position() > at[i]) {
                    record(b, at[i], b.position() - at[i]);
                }
            }
        }
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts) throws IOException {
        return read(dsts, 0, dsts.length);
    }

    private synchronized void record(ByteBuffer b, int from, int length) {
        if (stopped) {
            return;
        }
        try {
            int pos = from;
            int left = length;
            if (file == null) {
                int take = Math.min(left, prefix.remaining());
                prefix.put(prefix.position(), b, pos, take);
                prefix.position(prefix.position() + take);
                pos += take;
                left -= take;
                if (prefix.hasRemaining()) {
                    return;
                }
                open();
            }
            if (left > 0) {
                writeFully(b.duplicate().limit(pos + left).position(pos));
            }
        } catch (IOException e) {
            stop(e);
        }
    }

    /** Names and opens the file, and writes the prefix read so far. */
    private void open() throws IOException {
        String name = "connection-" + connection + ".bin";
        if (prefix.position() >= NAMING_PREFIX && prefix.getInt(0) == Wire.HELLO_MAGIC) {
            int channel = Short.toUnsignedInt(prefix.getShort(24));
            if (owner.claim(channel)) {
                name = "channel-" + channel + ".bin";
            }
        }
        Path p = dir.resolve(name);
        // the bytes are the migrated memory: readable by the owner only, never through a link left there
        Files.deleteIfExists(p);
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        file = p.getFileSystem().supportedFileAttributeViews().contains("posix")
                ? FileChannel.open(p, options,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                : FileChannel.open(p, options);
        writeFully(prefix.duplicate().flip());
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            file.write(b);
        }
    }

    private void stop(IOException e) {
        stopped = true;
        LOG.log(System.Logger.Level.WARNING, "capture of connection " + connection + " (" + inner.description()
                + ") stopped: " + e.getMessage());
        closeFile();
    }

    private void closeFile() {
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "closing the capture of connection " + connection + ": "
                        + e.getMessage());
            }
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        return inner.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        return inner.write(srcs, offset, length);
    }

    @Override
    public long write(ByteBuffer[] srcs) throws IOException {
        return inner.write(srcs);
    }

    @Override
    public void shutdownOutput() throws IOException {
        inner.shutdownOutput();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public String description() {
        return inner.description();
    }

    @Override
    public void close() throws IOException {
        try {
            inner.close();
        } finally {
            synchronized (this) {
                if (!stopped && file == null && prefix.position() > 0) {
                    try {
                        open(); // ended before its hello named a channel: keep what arrived
                    } catch (IOException e) {
                        stop(e);
                    }
                }
                stopped = true;
                closeFile();
            }
        }
    }
}
