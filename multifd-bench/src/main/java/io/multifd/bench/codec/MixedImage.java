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

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A deterministic memory image for codec benchmarks: 4 KiB pages that are zero (30 %),
 * text-like (45 %: log lines, JSON-ish records and prose-like words, as in heaps and page
 * caches) or random (25 %: encrypted or already compressed data), in a seeded random order.
 *
 * <p>Zero pages never reach a codec (the RAM payload sends them as offsets only), so the
 * benchmarks use {@link #nonZeroPages()}: the non-zero pages in image order, exactly
 * {@code batches * 128} of them, i.e. whole 512 KiB batches. The same bytes are what
 * {@link #main(String[])} writes to a file for the reference CLIs.
 *
 * <p>Usage: {@code java -cp benchmarks.jar io.multifd.bench.codec.MixedImage FILE [batches] [seed]}
 * (defaults: 96 batches, i.e. 48 MiB of non-zero pages, seed 42).
 */
public final class MixedImage {

    /** Bytes per page. */
    public static final int PAGE = 4096;
    /** Pages per batch: 512 KiB, the packet size the RAM payload uses by default. */
    public static final int PAGES_PER_BATCH = 128;
    /** Bytes per batch. */
    public static final int BATCH = PAGE * PAGES_PER_BATCH;
    /** Default seed. */
    public static final long SEED = 42;
    /** Default number of batches (48 MiB of non-zero pages). */
    public static final int BATCHES = 96;

    private static final String[] WORDS = ("the of and to in is was for on that with as by at from this be are "
            + "migration page channel packet sender receiver memory block offset length dirty round sync "
            + "epoch zero java multifd codec buffer thread request response session user order item price "
            + "customer status pending completed failed retry timeout connection server client cache").split(" ");
    private static final String[] LEVELS = {"INFO ", "DEBUG", "WARN ", "ERROR", "TRACE"};
    private static final String[] LOGGERS = {"io.multifd.core.Channel", "com.example.shop.OrderService",
            "org.hibernate.SQL", "io.netty.handler.Pipeline", "com.example.auth.TokenCache"};

    private final ByteBuffer nonZero;
    private final int imagePages;
    private final int zeroPages;

    private MixedImage(ByteBuffer nonZero, int imagePages, int zeroPages) {
        this.nonZero = nonZero;
        this.imagePages = imagePages;
        this.zeroPages = zeroPages;
    }

    /**
     * Generates the image until it holds {@code batches * 128} non-zero pages.
     *
     * @param batches number of 512 KiB batches of non-zero pages
     * @param seed    the seed
     * @return the image
     */
    public static MixedImage generate(int batches, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int wanted = batches * PAGES_PER_BATCH;
        ByteBuffer out = ByteBuffer.allocateDirect(wanted * PAGE);
        byte[] page = new byte[PAGE];
        int pages = 0;
        int zeros = 0;
        StringBuilder sb = new StringBuilder(PAGE + 256);
        while (out.hasRemaining()) {
            pages++;
            int kind = r.nextInt(100);
            if (kind < 30) {
                zeros++; // a zero page: not part of what a codec sees
                continue;
            }
            if (kind < 75) {
                textPage(page, r, sb);
            } else {
                for (int i = 0; i < PAGE; i += 8) {
                    long v = r.nextLong();
                    for (int j = 0; j < 8; j++) {
                        page[i + j] = (byte) (v >>> (8 * j));
                    }
                }
            }
            out.put(page);
        }
        return new MixedImage(out.flip(), pages, zeros);
    }

    private static void textPage(byte[] page, SplittableRandom r, StringBuilder sb) {
        sb.setLength(0);
        int style = r.nextInt(3);
        while (sb.length() < PAGE) {
            switch (style) {
                case 0 -> sb.append(String.format(Locale.ROOT, "2026-11-%02dT%02d:%02d:%02d.%03dZ %s [worker-%d] %s - %s %d %s %d ms%n",
                        1 + r.nextInt(28), r.nextInt(24), r.nextInt(60), r.nextInt(60), r.nextInt(1000),
                        LEVELS[r.nextInt(LEVELS.length)], r.nextInt(32), LOGGERS[r.nextInt(LOGGERS.length)],
                        WORDS[r.nextInt(WORDS.length)], r.nextInt(100_000), WORDS[r.nextInt(WORDS.length)],
                        r.nextInt(5000)));
                case 1 -> sb.append("{\"id\":").append(r.nextInt(1_000_000)).append(",\"user\":\"")
                        .append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(1000)).append("\",\"status\":\"")
                        .append(WORDS[r.nextInt(WORDS.length)]).append("\",\"amount\":")
                        .append(r.nextInt(100_000) / 100.0).append(",\"items\":[")
                        .append(r.nextInt(50)).append(',').append(r.nextInt(50)).append("]}\n");
                default -> {
                    sb.append(WORDS[r.nextInt(WORDS.length)]);
                    sb.append(r.nextInt(15) == 0 ? ".\n" : " ");
                }
            }
        }
        byte[] b = sb.toString().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, page, 0, PAGE);
    }

    /** The non-zero pages, in image order: a read-only view, position 0, limit the total. */
    public ByteBuffer nonZeroPages() {
        return nonZero.asReadOnlyBuffer();
    }

    /** The writable buffer behind {@link #nonZeroPages()}, for views handed to encoders. */
    ByteBuffer pages() {
        return nonZero;
    }

    /** Number of 512 KiB batches of non-zero pages. */
    public int batches() {
        return nonZero.capacity() / BATCH;
    }

    /** Pages in the whole image, zero pages included. */
    public int imagePages() {
        return imagePages;
    }

    /** Zero pages in the image. */
    public int zeroPages() {
        return zeroPages;
    }

    /**
     * Writes the non-zero pages to a file, for the reference CLIs.
     *
     * @param args {@code FILE [batches] [seed]}
     * @throws IOException if the file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: MixedImage FILE [batches] [seed]");
            System.exit(2);
        }
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : BATCHES;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : SEED;
        MixedImage image = generate(batches, seed);
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer b = image.nonZeroPages();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
        System.out.printf(Locale.ROOT, "%s: %d non-zero pages (%d bytes, %d batches of 512 KiB) of an image of %d pages "
                        + "(%d zero), seed %d%n", args[0], image.nonZeroPages().remaining() / PAGE,
                image.nonZeroPages().remaining(), image.batches(), image.imagePages(), image.zeroPages(), seed);
    }
}
