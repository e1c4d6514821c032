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
package io.multifd.testing.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Runs a fuzz target over seeded mutations of a corpus, on the calling thread. Deterministic: the
 * same corpus, seed and iteration count give the same inputs, and a failure names the seed of the
 * input that caused it (and writes the input under {@code target/fuzz-findings/} so that it can be
 * added to the corpus as a reproducer).
 *
 * <p>A <em>finding</em> is any throwable the target's {@code expected} predicate does not accept
 * (an {@link OutOfMemoryError} included), or an input that took longer than the slow bound on its
 * run and on two more (so that a pause of a loaded machine is not taken for a slow input). The
 * system property {@code multifd.fuzz.scale} multiplies every iteration count (a long local run);
 * {@code multifd.fuzz.seed} replaces every campaign's seed.
 *
 * <p>Not thread-safe: each test calls its own {@link #run}.
 */
public final class SeededFuzz {

    /** The scale property: a multiplier for iteration counts, default 1. */
    public static final String SCALE_PROPERTY = "multifd.fuzz.scale";

    /** The seed property: replaces every campaign's seed when set. */
    public static final String SEED_PROPERTY = "multifd.fuzz.seed";

    private static final long[] INTERESTING = {0, 1, -1, 2, 7, 8, 15, 16, 47, 48, 255, 256, 4095, 4096, 65535, 65536,
            0x7FFF_FFFFL, 0x8000_0000L, 0xFFFF_FFFFL, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 20, (1L << 20) + 1};

    /** What a fuzz target does with one input. */
    @FunctionalInterface
    public interface Target {
        /**
         * Parses or replays {@code input}.
         *
         * @param input the bytes; the target may not keep them after returning
         * @throws Exception a refusal (judged by the campaign's predicate) or a finding
         */
        void accept(byte[] input) throws Exception;
    }

    /**
     * What a campaign did.
     *
     * @param inputs   inputs run (seeds and mutants)
     * @param refused  inputs the target refused with an expected throwable
     * @param accepted inputs the target accepted
     * @param slowest  the longest time one input took
     */
    public record Summary(long inputs, long refused, long accepted, Duration slowest) {
    }

    private SeededFuzz() {
    }

    /**
     * The corpus Jazzer replays for {@code method} of {@code testClass}: the files of the test
     * resource directory {@code <TestClass>Inputs/<method>/} next to the class, sorted by name.
     *
     * @param testClass the fuzz test class
     * @param method    the fuzz test method's name
     * @return the files' bytes; empty if the directory does not exist
     * @throws UncheckedIOException  if a file cannot be read
     * @throws IllegalStateException if the directory is inside a jar (tests run from class files)
     */
    public static List<byte[]> corpus(Class<?> testClass, String method) {
        String dir = testClass.getSimpleName() + "Inputs/" + method;
        URL url = testClass.getResource(dir);
        if (url == null) {
            return List.of();
        }
        if (!"file".equals(url.getProtocol())) {
            throw new IllegalStateException("the corpus " + dir + " is not a directory: " + url);
        }
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            List<byte[]> out = new ArrayList<>();
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                out.add(Files.readAllBytes(p));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the corpus " + dir, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad corpus location " + url, e);
        }
    }

    /**
     * Runs every seed, then {@code iterations} (times the scale property) mutants of them.
     *
     * @param name       the campaign's name, for messages and finding files
     * @param seeds      the corpus, at least one input
     * @param target     the target
     * @param expected   which throwables are refusals (anything else is a finding)
     * @param seed       the random seed (replaced by the seed property when set)
     * @param iterations mutants to run before scaling
     * @param slow       an input taking longer than this is a finding
     * @return what happened
     * @throws AssertionError on the first finding, naming the input's seed, with the throwable as cause
     */
    public static Summary run(String name, List<byte[]> seeds, Target target, Predicate<Throwable> expected,
                              long seed, int iterations, Duration slow) {
        Objects.requireNonNull(target, "target");
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException(name + ": an empty corpus");
        }
        long base = Long.getLong(SEED_PROPERTY, seed);
        long total = (long) iterations * Long.getLong(SCALE_PROPERTY, 1L);
        long refused = 0;
        long accepted = 0;
        long slowest = 0;
        SplittableRandom master = new SplittableRandom(base);
        for (long i = -seeds.size(); i < total; i++) {
            long inputSeed = i < 0 ? i : master.nextLong();
            byte[] input = i < 0 ? seeds.get((int) (i + seeds.size())).clone()
                    : mutate(seeds, new SplittableRandom(inputSeed));
            byte[] kept = input.clone();
            long t0 = System.nanoTime();
            Throwable thrown = null;
            try {
                target.accept(input);
            } catch (Throwable t) {
                thrown = t;
            }
            long took = System.nanoTime() - t0;
            if (took > slow.toNanos()) {
                took = Math.min(took, rerun(target, kept)); // a pause of a loaded machine is not the input's doing
            }
            slowest = Math.max(slowest, took);
            if (thrown != null && !expected.test(thrown)) {
                throw finding(name, base, inputSeed, kept, "threw " + thrown, thrown);
            }
            if (took > slow.toNanos()) {
                throw finding(name, base, inputSeed, kept, "took " + took / 1_000_000 + " ms (bound " + slow.toMillis()
                        + " ms)", thrown);
            }
            if (thrown != null) {
                refused++;
            } else {
                accepted++;
            }
        }
        return new Summary(refused + accepted, refused, accepted, Duration.ofNanos(slowest));
    }

    /** The shortest of two more runs of {@code input}, in nanoseconds (what it throws was judged already). */
    private static long rerun(Target target, byte[] input) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            try {
                target.accept(input.clone());
            } catch (Throwable t) {
                // judged on the first run
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    private static AssertionError finding(String name, long base, long inputSeed, byte[] input, String what,
                                          Throwable cause) {
        String file = name + "-" + Long.toHexString(inputSeed) + ".bin";
        String where;
        try {
            Path dir = Path.of("target", "fuzz-findings");
            Files.createDirectories(dir);
            Path p = dir.resolve(file);
            Files.write(p, input);
            where = p.toAbsolutePath().toString();
        } catch (IOException | RuntimeException e) {
            where = "(not written: " + e + ")";
        }
        return new AssertionError(name + ": the input of seed " + inputSeed + " (campaign seed " + base + ", "
                + input.length + " bytes, saved as " + where + ") " + what
                + "; add it to the corpus as a reproducer once fixed", cause);
    }

    /**
     * One mutant of a randomly chosen seed: one to four stacked edits (bit flip, random byte,
     * interesting 1/2/4/8-byte big-endian value, truncation, inserted, deleted, duplicated or
     * swapped chunk, splice with another seed).
     *
     * @param seeds the corpus
     * @param r     the randomness
     * @return a new array
     */
    public static byte[] mutate(List<byte[]> seeds, SplittableRandom r) {
        byte[] s = seeds.get(r.nextInt(seeds.size()));
        int edits = 1 + r.nextInt(4);
        for (int e = 0; e < edits; e++) {
            s = edit(s, seeds, r);
        }
        return s;
    }

    private static byte[] edit(byte[] s, List<byte[]> seeds, SplittableRandom r) {
        if (s.length == 0) {
            byte[] m = new byte[1 + r.nextInt(64)];
            r.nextBytes(m);
            return m;
        }
        int at = r.nextInt(s.length);
        int chunk = 1 + r.nextInt(Math.min(64, s.length - at));
        switch (r.nextInt(10)) {
            case 0 -> {
                byte[] m = s.clone();
                m[at] ^= (byte) (1 << r.nextInt(8));
                return m;
            }
            case 1 -> {
                byte[] m = s.clone();
                m[at] = (byte) r.nextInt(256);
                return m;
            }
            case 2, 3 -> {
                byte[] m = s.clone();
                int width = 1 << r.nextInt(4);
                long v = INTERESTING[r.nextInt(INTERESTING.length)];
                for (int k = 0; k < width && at + k < m.length; k++) {
                    m[at + k] = (byte) (v >>> (8 * (width - 1 - k)));
                }
                return m;
            }
            case 4 -> {
                return Arrays.copyOf(s, at);
            }
            case 5 -> {
                byte[] ins = new byte[chunk];
                r.nextBytes(ins);
                return splice(s, at, 0, ins);
            }
            case 6 -> {
                return splice(s, at, chunk, new byte[0]);
            }
            case 7 -> {
                return splice(s, at, 0, Arrays.copyOfRange(s, at, at + chunk));
            }
            case 8 -> {
                int other = r.nextInt(s.length);
                int len = Math.min(chunk, Math.min(s.length - other, s.length - at));
                byte[] m = s.clone();
                System.arraycopy(s, other, m, at, len);
                System.arraycopy(s, at, m, other, len);
                return m;
            }
            default -> {
                byte[] o = seeds.get(r.nextInt(seeds.size()));
                int from = o.length == 0 ? 0 : r.nextInt(o.length);
                byte[] m = Arrays.copyOf(s, at + (o.length - from));
                System.arraycopy(o, from, m, at, o.length - from);
                return m;
            }
        }
    }

    private static byte[] splice(byte[] s, int at, int remove, byte[] insert) {
        byte[] m = new byte[s.length - remove + insert.length];
        System.arraycopy(s, 0, m, 0, at);
        System.arraycopy(insert, 0, m, at, insert.length);
        System.arraycopy(s, at + remove, m, at + insert.length, s.length - at - remove);
        return m;
    }
}
