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

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * A file a command writes as {@code FILE.part} and publishes as FILE only once it is complete,
 * so that a failed or cancelled command never leaves a partial FILE nor destroys an existing one.
 * {@link #create} refuses a FILE or FILE.part that is a symbolic link, an existing FILE unless
 * {@code --force}, and creates FILE.part exclusively ({@code O_CREAT|O_EXCL}, never through a
 * symbolic link), mode 0600, in FILE's directory. {@link #commit} renames it to FILE (replacing
 * FILE only with {@code --force}); {@link #discard} removes it.
 *
 * <p>Threads: {@link #create} and {@link #commit} on the command's main thread; {@link #discard}
 * from it or the shutdown hook. Synchronized.
 */
final class PartFile {

    private final String option;
    private final Path target;
    private final Path part;
    private final boolean force;
    private FileChannel channel;
    private boolean committed;

    /**
     * @param option the option that named FILE, for messages ({@code --out}, {@code --to})
     * @param target FILE
     * @param force  whether an existing FILE may be replaced
     */
    PartFile(String option, Path target, boolean force) {
        this.option = option;
        this.target = target.toAbsolutePath();
        this.part = this.target.resolveSibling(this.target.getFileName() + ".part");
        this.force = force;
    }

    /** FILE, absolute. */
    Path target() {
        return target;
    }

    /** FILE.part, absolute. */
    Path part() {
        return part;
    }

    /**
     * Refuses a FILE or FILE.part that is the command's input: replacing FILE, or removing a
     * leftover FILE.part under {@code --force}, would destroy what the command reads. Main thread.
     *
     * @param input       the file the command reads
     * @param inputOption the option that named it, for the message
     * @throws UsageException if FILE or FILE.part is {@code input}
     * @throws IOException    if the files cannot be compared
     */
    void refuseInput(Path input, String inputOption) throws IOException {
        for (Path p : new Path[]{target, part}) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(p, input)) {
                throw new UsageException(option + " '" + target + "'" + (p == part ? " (its " + part.getFileName()
                        + ")" : "") + " is " + inputOption + " '" + input + "' itself: refused (name another file)");
            }
        }
    }

    /**
     * Checks FILE and creates FILE.part, empty, exclusively and with mode 0600.
     *
     * @return FILE.part, open for reading and writing, owned by this object until {@link #commit} or {@link #discard}
     * @throws UsageException if FILE is a directory or its directory does not exist, FILE or
     *                        FILE.part is a symbolic link, FILE exists without {@code --force},
     *                        or FILE.part exists (a leftover: removed first with {@code --force})
     * @throws IOException    if FILE.part cannot be created
     */
    synchronized FileChannel create() throws IOException {
        if (target.getParent() != null && !Files.isDirectory(target.getParent())) {
            throw new UsageException(option + ": directory '" + target.getParent() + "' does not exist");
        }
        if (Files.isSymbolicLink(target)) {
            throw new UsageException(option + " '" + target + "' is a symbolic link: refused (name the file itself)");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new UsageException(option + " '" + target + "' is a directory");
            }
            if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new UsageException(option + " '" + target + "' exists and is not a regular file: refused");
            }
            if (!force) {
                throw new UsageException(option + " '" + target + "' exists: refused (add --force to replace it)");
            }
        }
        if (Files.isSymbolicLink(part)) {
            throw new UsageException("'" + part + "' is a symbolic link: refused (remove it first)");
        }
        if (Files.exists(part, LinkOption.NOFOLLOW_LINKS)) {
            if (!force || !Files.isRegularFile(part, LinkOption.NOFOLLOW_LINKS)) {
                throw new UsageException("'" + part + "' exists (another command writing it, or a leftover): refused "
                        + "(remove it, or add --force)");
            }
            Files.delete(part);
        }
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        try {
            if (part.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                channel = FileChannel.open(part, options,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                channel = FileChannel.open(part, options);
            }
        } catch (FileAlreadyExistsException e) {
            throw new UsageException("'" + part + "' appeared while it was being created: refused");
        }
        return channel;
    }

    /**
     * Closes FILE.part and publishes it as FILE: a rename that replaces FILE with {@code --force},
     * otherwise a hard link that fails if FILE appeared meanwhile. With {@code fsync} the
     * directory is forced afterwards, so that the rename is durable (force the data before).
     *
     * @param fsync whether to force the directory
     * @throws IOException if FILE appeared meanwhile (without {@code --force}), or the rename failed
     */
    synchronized void commit(boolean fsync) throws IOException {
        if (channel != null) {
            channel.close();
        }
        if (force) {
            try {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } else {
            publishWithoutReplacing();
        }
        committed = true;
        if (fsync) {
            forceDirectory(target.getParent());
        }
    }

    /** A hard link fails if FILE exists (appeared meanwhile), unlike a rename, which replaces it. */
    private void publishWithoutReplacing() throws IOException {
        try {
            Files.createLink(target, part);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(option + " '" + target + "' appeared meanwhile: not replaced (add --force to "
                    + "replace it)", e);
        } catch (UnsupportedOperationException | IOException e) {
            // no hard links on this file system: a plain move, which also refuses an existing target
            Files.move(part, target);
            return;
        }
        Files.delete(part);
    }

    private static void forceDirectory(Path dir) throws IOException {
        if (dir == null || !dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return; // directories cannot be opened for forcing on every platform
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * Closes FILE.part and leaves it in place, for a failure after which its content may be the
     * only complete copy (the sender's outcome unknown): later {@link #discard} calls do nothing.
     * Any thread.
     *
     * @return FILE.part
     */
    synchronized Path keep() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the content is written: closing the descriptor cannot lose it
            }
            channel = null;
        }
        committed = true;
        return part;
    }

    /** Removes FILE.part of a command that failed. Any thread; idempotent; no effect after {@link #commit}. */
    synchronized void discard() {
        if (committed || channel == null) {
            return;
        }
        try {
            channel.close();
            channel = null;
            Files.deleteIfExists(part); // only the file this command created
        } catch (IOException ignored) {
            // best effort: the command already failed, and that is what gets reported
        }
    }
}
