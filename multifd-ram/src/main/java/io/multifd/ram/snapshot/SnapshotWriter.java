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
package io.multifd.ram.snapshot;

import io.multifd.api.SendSession;
import io.multifd.ram.RamPayload;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Saves RAM blocks (and optionally device states) to a snapshot file with several threads
 * writing at once. The pages come from the same {@link io.multifd.ram.RamSaver} rounds as a
 * socket migration: open the saver on {@link #session()} instead of a sender's session.
 *
 * <pre>{@code
 * try (SnapshotWriter w = SnapshotWriter.create(path, 4)) {
 *     RamSaver saver = RamSaver.open(w.session(), blocks);
 *     saver.saveAll();                       // or PreCopy rounds while the memory keeps changing
 *     w.addDeviceState("cpu", 0, cpuState);  // optional, from any thread
 *     SnapshotStats stats = w.finish();
 * }
 * }</pre>
 *
 * <p><b>The file.</b> When the saver declares its blocks, the file is truncated to the start
 * offset (bytes before it are never touched, so a snapshot can live inside a larger file), each
 * block gets its fixed place (see {@link SnapshotFormat}) and the channel threads write each
 * non-zero page at {@code pagesOffset + offset} with positional writes. Zero pages are not
 * written, so the file stays sparse; they are only cleared in the block's bitmap. A page saved
 * again in a later round overwrites its place. {@link #finish()} writes the device states (in
 * parallel), the bitmaps and, last, the header with its checksums: a save that did not finish has
 * no header and is refused by {@link SnapshotReader} as incomplete.
 *
 * <p><b>Threads.</b> The writer and its session are used from one thread (the saver's); the
 * channel threads are the writer's own and end at {@link #finish()} or {@link #close()}. The
 * memory of the blocks stays the product's; it is only read.
 */
public final class SnapshotWriter implements Closeable {

    /** At most this many channel threads. */
    public static final int MAX_CHANNELS = 255;

    private final FileChannel file;
    private final boolean ownsFile;
    private final long start;
    private final FileSendSession session;
    private final List<byte[]> deviceEntries = new ArrayList<>();
    /** "instance:name" of every device added: each may appear once (lock: this). */
    private final java.util.Set<String> deviceKeys = new java.util.HashSet<>();
    private final long startNanos = System.nanoTime();
    private boolean done;
    private int placedDevices;
    private long nextDeviceOffset = -1;

    private SnapshotWriter(FileChannel file, boolean ownsFile, long start, int channels, Duration ioTimeout) {
        if (channels < 1 || channels > MAX_CHANNELS) {
            throw new IllegalArgumentException("channels must be 1 to " + MAX_CHANNELS + ": " + channels);
        }
        if (start < 0) {
            throw new IllegalArgumentException("negative start offset " + start);
        }
        this.file = file;
        this.ownsFile = ownsFile;
        this.start = start;
        this.session = new FileSendSession(file, start, channels, ioTimeout, RamPayload.sending());
    }

    /**
     * Creates (or replaces the contents of) a file and saves a snapshot at its start. The writer
     * owns the channel it opens.
     *
     * @param path     the file; created if missing, truncated when the blocks are declared
     * @param channels the number of threads writing pages, 1 to {@value #MAX_CHANNELS}
     * @return the writer
     * @throws IOException if the file cannot be opened
     */
    public static SnapshotWriter create(Path path, int channels) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            return new SnapshotWriter(ch, true, 0, channels, Duration.ofSeconds(30));
        } catch (RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Saves a snapshot at byte {@code start} of an open file. The caller keeps owning the channel
     * (it is not closed); bytes before {@code start} are never read or written, bytes after it are
     * truncated when the blocks are declared.
     *
     * @param file      a channel open for reading and writing
     * @param start     where the snapshot starts
     * @param channels  the number of threads writing pages, 1 to {@value #MAX_CHANNELS}
     * @param ioTimeout how long {@code send} waits for an idle channel thread at most
     * @return the writer
     */
    public static SnapshotWriter create(FileChannel file, long start, int channels, Duration ioTimeout) {
        return new SnapshotWriter(Objects.requireNonNull(file, "file"), false, start, channels, ioTimeout);
    }

    /**
     * The session to open a {@link io.multifd.ram.RamSaver} on. It accepts RAM only, and has
     * no peer: {@code sync()} returns once every page handed to it is written.
     *
     * @return the session, used from the saver's thread
     */
    public SendSession session() {
        return session;
    }

    /**
     * Adds one device's state. Once the saver declared its blocks ({@code RamSaver.open}), the
     * state goes to the channel threads at once and is written into the device-state area while
     * RAM rounds go on; a state added before that is written when the blocks are declared or at
     * {@link #finish()}. Thread-safe: a product may save its devices from threads of its own.
     *
     * @param name     the device's name, 1 to 255 bytes of UTF-8
     * @param instance the device's instance number
     * @param state    the state (the bytes between position and limit are copied; the buffer is not modified)
     * @throws IllegalArgumentException if the name is empty or too long, or this device (name and
     *                                  instance) was added already
     * @throws IllegalStateException    if the writer finished
     */
    public synchronized void addDeviceState(String name, int instance, ByteBuffer state) {
        byte[] n = SnapshotFormat.utf8(Objects.requireNonNull(name, "name"));
        Objects.requireNonNull(state, "state");
        if (n.length < 1 || n.length > 255) {
            throw new IllegalArgumentException("device name must be 1 to 255 bytes of UTF-8: '" + name + "'");
        }
        if (done) {
            throw new IllegalStateException("the snapshot writer finished");
        }
        if (!deviceKeys.add(instance + ":" + name)) {
            throw new IllegalArgumentException("device '" + name + "' instance " + instance
                    + " was already added to this snapshot");
        }
        ByteBuffer s = state.duplicate();
        ByteBuffer e = ByteBuffer.allocate(1 + n.length + 4 + 8 + s.remaining());
        e.put((byte) n.length).put(n).putInt(instance).putLong(s.remaining()).put(s);
        deviceEntries.add(e.array());
        placeDeviceStates();
    }

    /** Gives every device state not placed yet its offset and hands it to the channels (once the layout is known). */
    private void placeDeviceStates() {
        List<SnapshotBlock> layout = session.layout();
        if (layout == null) {
            return;
        }
        if (nextDeviceOffset < 0) {
            nextDeviceOffset = SnapshotFormat.deviceOffset(start, layout);
        }
        for (; placedDevices < deviceEntries.size(); placedDevices++) {
            byte[] e = deviceEntries.get(placedDevices);
            session.submit(new FileSendSession.Write(ByteBuffer.wrap(e), nextDeviceOffset));
            nextDeviceOffset += e.length;
        }
    }

    /**
     * Completes the snapshot: waits for the pages handed to the channels, writes the device
     * states and the bitmaps (in parallel), then the header. Call it after the saver's last round.
     * Does not force the file to disk ({@link FileChannel#force(boolean)} does).
     *
     * @return what the save did
     * @throws IOException           if a write failed (the file has no valid header then)
     * @throws IllegalStateException if no blocks were declared, or the writer finished or closed
     */
    public synchronized SnapshotStats finish() throws IOException {
        if (done) {
            throw new IllegalStateException("the snapshot writer finished or was closed");
        }
        List<SnapshotBlock> layout = session.layout();
        if (layout == null) {
            throw new IllegalStateException("no RAM was declared (open a RamSaver on session() first)");
        }
        done = true;
        try {
            placeDeviceStates();
            long devOffset = SnapshotFormat.deviceOffset(start, layout);
            long pos = devOffset;
            CRC32C devCrc = new CRC32C();
            for (byte[] e : deviceEntries) {
                devCrc.update(e);
                pos += e.length;
            }
            session.awaitIdle();
            long devLength = pos - devOffset;
            List<SnapshotFormat.Entry> entries = new ArrayList<>();
            for (SnapshotBlock b : layout) {
                long[] words = session.blockStates().get(b.name()).bitmap;
                ByteBuffer bm = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (long w : words) {
                    bm.putLong(w);
                }
                bm.flip();
                CRC32C crc = new CRC32C();
                crc.update(SnapshotFormat.encodeRecord(b));
                crc.update(bm.duplicate());
                entries.add(new SnapshotFormat.Entry(b.name(), b.length(), b.pageSize(), b.recordOffset(), (int) crc.getValue()));
                session.submit(new FileSendSession.Write(bm, b.bitmapOffset()));
            }
            session.awaitIdle();
            long end = devLength > 0 ? pos : layout.isEmpty() ? start : layout.get(layout.size() - 1).pagesEnd();
            if (file.size() < end) {
                // the last byte was never written (a zero page or no device state): extend as a hole
                session.writeFully(ByteBuffer.allocate(1), end - 1);
            }
            long ram = 0;
            for (SnapshotBlock b : layout) {
                ram += b.length();
            }
            SnapshotFormat.Header h = new SnapshotFormat.Header(layout.isEmpty() ? 0 : layout.get(0).pageSize(), ram,
                    SnapshotFormat.CODEC, devOffset, devLength, deviceEntries.size(), (int) devCrc.getValue(), end,
                    entries, 0);
            session.writeFully(SnapshotFormat.encodeHeader(h), start);
            long[] c = session.counters();
            return new SnapshotStats(ram, c[0], c[1], c[2], end, Duration.ofNanos(System.nanoTime() - startNanos));
        } finally {
            session.stop();
        }
    }

    /**
     * Cancels the save from any thread: the saver's {@code send} or {@code sync}, and
     * {@link #finish()}, throw promptly; the file is left without a header. Call {@link #close()}
     * afterwards on the saver's thread.
     *
     * @param reason why, the cause of what the saver's thread throws
     */
    public void abort(String reason) {
        session.abort(new java.io.InterruptedIOException("snapshot save cancelled: " + reason));
    }

    /**
     * Ends the channel threads; a writer that did not finish leaves a file without a header
     * (refused as incomplete). Closes the file if the writer opened it. Idempotent.
     *
     * @throws IOException if the file cannot be closed
     */
    @Override
    public synchronized void close() throws IOException {
        if (!done) {
            done = true;
            session.stop();
        }
        if (ownsFile && file.isOpen()) {
            file.close();
        }
    }
}
