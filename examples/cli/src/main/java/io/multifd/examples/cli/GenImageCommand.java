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

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code multifd gen-image FILE --size SIZE}: writes a deterministic mixed memory image.
 *
 * <p>Exit status ({@link ExitStatus}): 0 written; 2 a wrong command line; 6 cancelled by SIGINT or
 * SIGTERM (the partial file is removed); 1 the file could not be written.
 */
@Command(name = "gen-image", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Writes a deterministic mixed memory image.",
                "Zero pages, text-like (compressible) pages "
                + "and random (incompressible) pages, chosen page by page from the seed.",
                "The same arguments always give the same bytes; every 1 MiB chunk that is all zero is left"
                        + " sparse (a hole), the zero pages among other data are written."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:written"})
public final class GenImageCommand extends BaseCommand {

    static final int DEFAULT_ZERO = 40;
    static final int DEFAULT_TEXT = 35;
    static final int DEFAULT_RANDOM = 25;

    @Parameters(index = "0", paramLabel = "FILE", description = "The image file to write, as FILE.part renamed to FILE "
            + "once complete (an existing FILE is replaced then; a symbolic link is refused).")
    Path file;

    @Option(names = "--size", required = true, paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Its size: 4096, 4K, 512M, 1G... (powers of 1024; need not be a multiple of the page size).")
    long size;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "The seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--zero", paramLabel = "PCT", description = "Percent of zero pages (default " + DEFAULT_ZERO + ").")
    Integer zero;

    @Option(names = "--text", paramLabel = "PCT", description = "Percent of text-like pages (default " + DEFAULT_TEXT + ").")
    Integer text;

    @Option(names = "--random", paramLabel = "PCT", description = "Percent of random pages (default " + DEFAULT_RANDOM
            + "). Percentages left out share what the others leave, in the ratio of their defaults.")
    Integer random;

    @Option(names = "--page-size", paramLabel = "SIZE", defaultValue = "4K", converter = Converters.Size.class,
            description = "The page size of the mix (default: ${DEFAULT-VALUE}).")
    long pageSize;

    /** Made by picocli. */
    public GenImageCommand() {
    }

    @Override
    protected int run() throws Exception {
        if (size < 1) {
            throw new UsageException("--size must be at least 1 byte");
        }
        int ps = SendCommand.checkPageSize(pageSize);
        int[] mix = mix(zero, text, random);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new UsageException("directory '" + parent + "' does not exist");
        }
        if (Files.isDirectory(file)) {
            throw new UsageException("'" + file + "' is a directory");
        }
        ImageGenerator gen = new ImageGenerator(size, ps, seed, mix[0], mix[1], mix[2]);
        // FILE.part, renamed over FILE once complete: a failure leaves no partial FILE and keeps an old one
        PartFile out = new PartFile("FILE", file, true);
        FileChannel ch = out.create();
        long t0 = System.nanoTime();
        ImageGenerator.Result r;
        // small images are written before a progress line would appear
        Progress.Mode mode = size < (64 << 20) ? Progress.Mode.NONE : Progress.detect(common.quiet());
        // Ctrl-C / SIGTERM: the interrupt closes the file channel, and the partial file is removed
        Thread self = Thread.currentThread();
        Cancellation.Registration cancel = cancellation.onCancel(self::interrupt);
        boolean done = false;
        try (Progress progress = new Progress(mode, "gen-image", err(), 2)) {
            progress.begin("writing " + file.getFileName(), size, gen::progress);
            r = gen.write(ch);
            out.commit(false);
            done = true;
            progress.end(String.format(Locale.ROOT, "%s in %.1f s", Sizes.human(size), (System.nanoTime() - t0) / 1e9));
        } catch (IOException | RuntimeException e) {
            if (common.json()) {
                out().println(failed(new Json(), e).put("file", file.toString()));
            }
            throw e;
        } finally {
            cancel.close();
            if (!done) {
                out.discard();
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (common.json()) {
            out().println(completed(new Json()).put("file", file.toString()).put("bytes", r.bytes())
                    .put("page_size", ps).put("pages", r.pages()).put("zero_pages", r.zeroPages())
                    .put("text_pages", r.textPages()).put("random_pages", r.randomPages()).put("seed", seed)
                    .put("seconds", secs).put("sha256", r.sha256()));
        } else if (!common.quiet()) {
            out().println(String.format(Locale.ROOT, "wrote %s: %s, %d pages of %s (%d zero, %d text, %d random), seed %d, "
                            + "sha256 %s", file, Sizes.human(r.bytes()), r.pages(), Sizes.compact(ps), r.zeroPages(),
                    r.textPages(), r.randomPages(), seed, r.sha256()));
        }
        return MultifdCommand.EXIT_OK;
    }

    /**
     * Completes the mix: given percentages are kept, the others share the rest in the ratio of
     * their defaults.
     *
     * @return {zero, text, random}, adding up to 100
     * @throws UsageException if a percentage is out of range or they cannot add up to 100
     */
    static int[] mix(Integer zero, Integer text, Integer random) {
        Integer[] given = {zero, text, random};
        int[] defaults = {DEFAULT_ZERO, DEFAULT_TEXT, DEFAULT_RANDOM};
        String[] names = {"--zero", "--text", "--random"};
        int sum = 0;
        int missingDefaults = 0;
        for (int i = 0; i < 3; i++) {
            if (given[i] != null) {
                if (given[i] < 0 || given[i] > 100) {
                    throw new UsageException(names[i] + " must be a percentage from 0 to 100: " + given[i]);
                }
                sum += given[i];
            } else {
                missingDefaults += defaults[i];
            }
        }
        if (sum > 100 || (missingDefaults == 0 && sum != 100)) {
            throw new UsageException("--zero, --text and --random must add up to 100, not " + sum);
        }
        int[] out = new int[3];
        int rest = 100 - sum;
        int last = -1;
        int assigned = 0;
        for (int i = 0; i < 3; i++) {
            if (given[i] != null) {
                out[i] = given[i];
            } else {
                out[i] = rest * defaults[i] / missingDefaults;
                assigned += out[i];
                last = i;
            }
        }
        if (last >= 0) {
            out[last] += rest - assigned;
        }
        return out;
    }
}
