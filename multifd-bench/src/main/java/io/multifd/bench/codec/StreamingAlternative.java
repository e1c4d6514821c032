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
package io.multifd.bench.codec;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The design the codecs did <em>not</em> take, for measurement only: QEMU's one compression
 * stream per channel, kept across packets and flushed at the end of each (zstd
 * {@code ZSTD_e_flush}, zlib {@code Z_SYNC_FLUSH}), so that a packet can refer to earlier ones.
 * Same staging copy as the codecs, so that only the framing differs. Not thread-safe; not for
 * hostile input (bench data only).
 */
final class StreamingAlternative implements AutoCloseable {

    private final String codec;
    private final ZstdCompressCtx zc;
    private final ZstdDecompressCtx zd;
    private final Deflater deflater;
    private final Inflater inflater;
    private final ByteBuffer staging = ByteBuffer.allocateDirect(MixedImage.BATCH);
    private final ByteBuffer out;

    /**
     * @param codec {@code zstd} or {@code zlib}
     * @param level the level
     */
    StreamingAlternative(String codec, int level) {
        this.codec = codec;
        if (codec.equals("zstd")) {
            zc = new ZstdCompressCtx().setLevel(level).setChecksum(false);
            zd = new ZstdDecompressCtx();
            deflater = null;
            inflater = null;
            out = ByteBuffer.allocateDirect((int) Zstd.compressBound(MixedImage.BATCH));
        } else if (codec.equals("zlib")) {
            zc = null;
            zd = null;
            deflater = new Deflater(level);
            inflater = new Inflater();
            out = ByteBuffer.allocateDirect(MixedImage.BATCH + MixedImage.BATCH / 8 + 64);
        } else {
            throw new IllegalArgumentException(codec);
        }
    }

    /** Restarts both streams (the first packet of a channel). */
    void reset() {
        if (zc != null) {
            zc.reset();
            zd.reset();
        } else {
            deflater.reset();
            inflater.reset();
        }
    }

    /**
     * Compresses one batch as the next part of the stream.
     *
     * @param pages the batch's pages
     * @return the output (position 0, limit the packet's encoded length), valid until the next call
     */
    ByteBuffer compress(ByteBuffer[] pages) {
        staging.clear();
        for (ByteBuffer p : pages) {
            staging.put(staging.position(), p, p.position(), p.remaining());
            staging.position(staging.position() + p.remaining());
        }
        staging.flip();
        out.clear();
        if (zc != null) {
            while (!zc.compressDirectByteBufferStream(out, staging, EndDirective.FLUSH)) {
                if (!out.hasRemaining()) {
                    throw new IllegalStateException("zstd stream output full");
                }
            }
        } else {
            deflater.setInput(staging);
            while (true) {
                deflater.deflate(out, Deflater.SYNC_FLUSH);
                if (out.hasRemaining() && deflater.needsInput()) {
                    break;
                }
                if (!out.hasRemaining()) {
                    throw new IllegalStateException("zlib stream output full");
                }
            }
        }
        return out.flip();
    }

    /**
     * Decodes one packet of the stream into {@code dst} (one 512 KiB target).
     *
     * @param encoded the packet's bytes (position to limit; consumed)
     * @param dst     the target, filled to its limit
     */
    void decompress(ByteBuffer encoded, ByteBuffer dst) {
        if (zd != null) {
            // loop while progress is made: the stream may hold decoded bytes after the input is consumed
            while (dst.hasRemaining()) {
                int before = dst.position();
                int inBefore = encoded.position();
                zd.decompressDirectByteBufferStream(dst, encoded);
                if (dst.position() == before && encoded.position() == inBefore) {
                    throw new IllegalStateException("zstd stream made no progress");
                }
            }
        } else {
            inflater.setInput(encoded);
            try {
                while (dst.hasRemaining()) {
                    if (inflater.inflate(dst) == 0 && inflater.needsInput()) {
                        throw new IllegalStateException("zlib stream short");
                    }
                }
            } catch (DataFormatException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Override
    public void close() {
        if (zc != null) {
            zc.close();
            zd.close();
        } else {
            deflater.end();
            inflater.end();
        }
    }

    @Override
    public String toString() {
        return codec + "-stream";
    }
}
