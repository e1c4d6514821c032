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
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of what the command line compares: a RAM block's memory (the sender's final memory),
 * a file read back (the receiver's output), a device state. Stateless; any thread.
 */
public final class Hashing {

    private static final int CHUNK = 1 << 20;

    private Hashing() {
    }

    /** A new SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /**
     * Hashes a block's memory, exactly its {@link RamBlock#length()} bytes. The caller makes sure
     * nobody writes the block meanwhile (writers paused, migration finished).
     *
     * @param block the block
     * @return the hash, in lower-case hex
     */
    public static String sha256(RamBlock block) {
        MessageDigest md = sha256();
        for (long off = 0; off < block.length(); off += CHUNK) {
            // 1 MiB views never cross a segment (segments are powers of two of 2 MiB or more)
            md.update(block.slice(off, (int) Math.min(CHUNK, block.length() - off)));
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * Reads a file back and hashes it.
     *
     * @param file the file
     * @return the hash, in lower-case hex
     * @throws IOException if it cannot be read
     */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (ch.read(buf.clear()) >= 0) {
                md.update(buf.flip());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
