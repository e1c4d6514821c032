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
package io.multifd.examples.cli;

import io.multifd.ram.RamBlock;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The image file that {@code send} and {@code save} migrate: its checks and how it becomes a block. Main thread. */
final class ImageFile {

    private ImageFile() {
    }

    /** This machine's (or container's) memory in bytes, or 0 if the JVM cannot tell. */
    static long physicalMemory() {
        try {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getTotalMemorySize();
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }

    /** Checks the image file and returns its size. */
    static long checkImage(Path image) throws IOException {
        if (!Files.exists(image)) {
            throw new UsageException("image '" + image + "' does not exist");
        }
        if (!Files.isRegularFile(image)) {
            throw new UsageException("image '" + image + "' is not a regular file");
        }
        if (!Files.isReadable(image)) {
            throw new UsageException("image '" + image + "' is not readable");
        }
        long size = Files.size(image);
        if (size == 0) {
            throw new UsageException("image '" + image + "' is empty");
        }
        return size;
    }

    /**
     * After a failure: if the image file is now shorter than when it was mapped, another process
     * truncated it while it was read, and the failure (a write that faulted on the lost pages,
     * "Bad address", or the JVM's unsafe-access error) is only its consequence. Any thread.
     *
     * @param image   the image file
     * @param size    its size when it was mapped
     * @param failure what the command failed with
     * @return a failure naming the shrink (exit status 1), or null if the file is as long as it was
     */
    static CommandFailedException shrank(Path image, long size, Throwable failure) {
        long now;
        try {
            now = Files.size(image);
        } catch (IOException | RuntimeException e) {
            now = 0; // gone altogether
        }
        if (now >= size) {
            return null;
        }
        CommandFailedException f = new CommandFailedException(ExitStatus.FAILED, "the image '" + image + "' shrank from "
                + Sizes.human(size) + " to " + Sizes.human(now) + " while it was being read (truncated by another "
                + "process?); the migration stopped with: " + MultifdCommand.describe(failure));
        f.initCause(failure);
        return f;
    }

    /**
     * Loads the image as one block: read-only mapped if nothing writes it (and read ahead and
     * mapped in full when it takes at most half of this machine's memory, so that the channel
     * threads do not fault it in page by page, as a VM's memory is resident when it migrates);
     * otherwise a private copy-on-write mapping (read-faulted in full under the same size limit),
     * or a copy in memory.
     */
    static RamBlock load(Path image, long size, int pageSize, boolean writable) throws IOException {
        if (!writable) {
            RamBlock b = RamBlock.map(SendCommand.BLOCK_NAME, image, size, pageSize, false);
            return size <= physicalMemory() / 2 ? b.prefault() : b;
        }
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // PRIVATE needs a channel opened for writing, but never writes the file; any size
            RamBlock b = RamBlock.map(SendCommand.BLOCK_NAME, ch, 0, size, pageSize, FileChannel.MapMode.PRIVATE);
            // read in, not copied: a page is copied only when a writer of --dirty-rate writes it
            return size <= physicalMemory() / 2 ? b.load() : b;
        } catch (AccessDeniedException | NonWritableChannelException e) {
            // fall through: a copy in memory
        }
        RamBlock copy;
        try {
            copy = RamBlock.allocate(SendCommand.BLOCK_NAME, size, pageSize);
        } catch (OutOfMemoryError e) {
            throw new IOException("not enough direct memory for a private copy of the " + Sizes.human(size)
                    + " image (raise it with java -XX:MaxDirectMemorySize=...)");
        }
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (long off = 0; off < size; ) {
                var view = copy.slice(off, (int) Math.min(1 << 20, size - off));
                while (view.hasRemaining()) {
                    if (ch.read(view, off + view.position()) < 0) {
                        throw new IOException("image '" + image + "' became shorter while it was read");
                    }
                }
                off += view.capacity();
            }
        }
        return copy;
    }
}
