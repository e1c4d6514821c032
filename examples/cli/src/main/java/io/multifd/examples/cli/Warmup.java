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

import io.multifd.api.MultiFdConfig;
import io.multifd.api.spi.PeerText;
import io.multifd.api.spi.TransportConnector;
import io.multifd.api.spi.TransportListener;
import io.multifd.core.MultiFdReceiver;
import io.multifd.core.MultiFdSender;
import io.multifd.core.PluginRegistry;
import io.multifd.core.transport.TcpTransport;
import io.multifd.core.transport.tls.TlsConfig;
import io.multifd.core.transport.tls.TlsTransport;
import io.multifd.ram.RamBlock;
import io.multifd.ram.RamDestination;
import io.multifd.ram.RamPayload;
import io.multifd.ram.RamSaver;
import io.multifd.ram.RamSetupRecord;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small migration inside the command's own process, over loopback TCP, before the real one:
 * the JIT then compiles the paths a migration runs (the zero-page scan, packet headers, the
 * channel threads' hand-off, the JDK's socket code) before the sender connects, instead of while
 * the real migration runs. A command is one migration in a fresh JVM; on the 1 GiB image into a
 * preallocated file this took the migration from about 0.5 s to about 0.3 s on a 2-vCPU machine
 * (docs/performance.md, section 12.9). It moves work ahead rather than removing it: the warm-up
 * itself takes about half a second (two with TLS), which {@code send} reports as part of
 * {@code prepare_seconds} and both commands as {@code warm_up_seconds}.
 *
 * <p>{@code send} warms with its own codec and checksum; {@code recv} (before it prints its
 * "listening" line, so the sender never competes with it) with no codec, as it cannot know the
 * sender's. With TLS, the warm-up runs over TLS too, with the command's own identity on both
 * ends and its own certificate as the only one trusted ({@link TlsOptions#warmUpConfig()}): the
 * JDK's AES-GCM is compiled to its fast form only after more traffic, so the default size is
 * then {@link #DEFAULT_TLS_BYTES} instead of {@link #DEFAULT_BYTES}. Its memory (two blocks of
 * that size, in direct memory; by default at most a sixteenth of the machine's memory) is left to
 * the garbage collector.
 *
 * <p>Enabled by {@link MultifdCommand#main} for the commands that move memory over channels
 * ({@code send} and {@code recv}, also as {@code demo} starts them); in-process callers of
 * {@link MultifdCommand#execute} (the tests) do not warm up. {@value #ENV}{@code =0} (or
 * {@code off}) in the environment turns it off; {@value #ENV}{@code =SIZE} (e.g. {@code 64M})
 * sets its size. Only about speed: a warm-up that fails is skipped (said with {@code --verbose})
 * and never changes a result.
 */
final class Warmup {

    /** The environment variable: {@code off} or {@code 0}, or the warm-up's size (by default 24M, 128M with TLS). */
    static final String ENV = "MULTIFD_WARMUP";

    /**
     * The memory the warm-up migrates by default: in packets of {@link #BATCH_BYTES}, 6,144
     * packets, past the JIT's thresholds for most per-packet methods (see there).
     */
    static final long DEFAULT_BYTES = 24L << 20;

    /**
     * The memory a warm-up over TLS migrates by default: the JDK compiles AES-GCM to its fast form
     * only after more traffic (a 1 GiB TLS migration took 2.69 s after 32 MiB, 1.91 s after
     * 128 MiB; docs/performance.md, section 11.2).
     */
    static final long DEFAULT_TLS_BYTES = 128L << 20;

    /** {@link #bytes} when the environment did not set a size: the defaults above. */
    private static final long AUTOMATIC = -1;

    /** The largest size {@value #ENV} may set. */
    static final long MAX_BYTES = 1L << 30;

    /**
     * Packets of one page: the per-packet methods are called once per page, so that most of them
     * pass, during the warm-up, the 5,000 calls at which the command line's JIT profile
     * ({@link JitProfile}) recompiles them without profiling (where tiered compilation would
     * hand them to C2). With packets of 4 pages and 32 MiB most of them passed it only during the
     * real migration, which ran their profiled code until then; with these packets a few still
     * pass it in the migration's first milliseconds, and a larger warm-up did not make the
     * migration faster (docs/performance.md, section 12.10).
     */
    static final int BATCH_BYTES = 4 << 10;

    /**
     * Packets of 4 pages over TLS: more, smaller records per byte made the TLS migration slower
     * (docs/performance.md, section 11.2).
     */
    static final int TLS_BATCH_BYTES = 16 << 10;

    /** The longest the warm-up may take before it is abandoned. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** The commands that warm up when started through {@link MultifdCommand#main}. */
    static final Set<String> COMMANDS = Set.of("send", "recv");

    /** The warm-up's size for this process; {@link #AUTOMATIC}, or 0 when off (the default for in-process callers). */
    private static volatile long bytes;

    private Warmup() {
    }

    /**
     * Turns the warm-up on for this process if the command moves memory over channels and the
     * environment does not say otherwise. Main thread, once, before the command runs.
     *
     * @param args the command line (its first argument names the command)
     * @param env  the environment
     * @return {@code null}, or a message for the user when {@value #ENV} has a value that is
     *         neither {@code off} nor a size (the warm-up is then off)
     */
    static String configure(String[] args, Map<String, String> env) {
        bytes = 0;
        if (args.length == 0 || !COMMANDS.contains(args[0])) {
            return null;
        }
        String v = env.get(ENV);
        if (v == null) {
            bytes = AUTOMATIC;
            return null;
        }
        if (v.strip().equalsIgnoreCase("off")) {
            return null;
        }
        try {
            long n = Sizes.parse(v.strip());
            if (n < 0 || n > MAX_BYTES) {
                throw new IllegalArgumentException("out of range");
            }
            bytes = n;
            return null;
        } catch (RuntimeException e) {
            return ENV + "='" + PeerText.escape(v) + "' is neither off nor a size up to 1G; "
                    + "no warm-up";
        }
    }

    /**
     * The warm-up's size for this process, 0 if it does not warm up. The defaults are capped so
     * that the warm-up's two blocks take at most a sixteenth of the machine's memory.
     *
     * @param tls whether the migration uses TLS (a larger default)
     * @return bytes
     */
    static long bytes(boolean tls) {
        long n = bytes;
        if (n != AUTOMATIC) {
            return n;
        }
        long memory = ImageFile.physicalMemory(); // 0 if unknown
        long cap = memory > 0 ? memory / 32 : Long.MAX_VALUE; // two blocks: at most a 16th of the machine
        return Math.min(tls ? DEFAULT_TLS_BYTES : DEFAULT_BYTES, cap) & -4096L;
    }

    /** Turns the warm-up off again (tests). */
    static void disable() {
        bytes = 0;
    }

    /**
     * Runs the warm-up if this process warms up; a failure is reported on {@code err} with
     * {@code verbose} only and otherwise ignored. The command's main thread, before it connects
     * or listens.
     *
     * @param template     the codec, its options and the data checksum to warm up with (the
     *                     migration's own, or the defaults)
     * @param tls          TLS for the warm-up's connection, or null for plain TCP
     * @param scratchDir   a directory in which to receive into a temporary file with positional
     *                     writes, as {@code recv} does into a new file; null to receive into memory
     * @param cancellation cancelling it closes the warm-up's sender and receiver
     * @param err          where a skipped warm-up is said, with {@code verbose}
     * @param verbose      {@code --verbose}
     * @return the seconds it took, or -1 if it did not run or failed
     */
    static double runIfEnabled(MultiFdConfig template, TlsConfig tls, Path scratchDir, Cancellation cancellation,
                               PrintWriter err, boolean verbose) {
        long n = bytes(tls != null);
        if (n < BATCH_BYTES) {
            return -1;
        }
        long t0 = System.nanoTime();
        try {
            run(template, tls, scratchDir, n, cancellation);
            return (System.nanoTime() - t0) / 1e9;
        } catch (IOException | RuntimeException e) {
            if (verbose) {
                err.println("warm-up skipped: " + MultifdCommand.describe(e));
            }
            return -1;
        }
    }

    /**
     * Migrates {@code size} bytes of mixed pages (a third zero, a third random, a third text-like)
     * from one block to another of this process over loopback TCP (TLS with {@code tls}), at most
     * two channels, packets of {@link #BATCH_BYTES} ({@link #TLS_BATCH_BYTES} with TLS). The
     * library's log is kept at warnings meanwhile, so that {@code --verbose} shows only the real
     * migration. Everything it opened is closed and its temporary file removed when it returns
     * or throws.
     *
     * @param template     the codec, its options and the data checksum; channels (at most 2) too
     * @param tls          TLS for the loopback connection, or null for plain TCP
     * @param scratchDir   null to receive into a block of direct memory; else a directory in
     *                     which a temporary file (mode 0600, removed) receives the
     *                     pages with positional writes, the path of {@code recv} into a new file
     * @param size         bytes to migrate, a multiple of 4 KiB
     * @param cancellation cancelling it closes the sender and the receiver
     * @return the source and destination blocks (for tests: they hold the same bytes), both
     *         garbage once dropped
     * @throws IOException if the warm-up migration failed or was cancelled
     */
    static Migrated run(MultiFdConfig template, TlsConfig tls, Path scratchDir, long size, Cancellation cancellation)
            throws IOException {
        Logger library = Logger.getLogger("io.multifd");
        Level level = library.getLevel();
        library.setLevel(Level.WARNING);
        Scratch scratch = null;
        TcpTransport.Listener tcp = null;
        TransportListener listener = null;
        MultiFdReceiver receiver = null;
        MultiFdSender sender = null;
        Cancellation.Registration cancel = null;
        try {
            RamBlock source = RamBlock.allocate("warm-up", size);
            fill(source);
            scratch = scratchDir == null ? null : new Scratch(scratchDir, size);
            RamBlock target = scratch != null ? scratch.block : RamBlock.allocate("warm-up", size);
            RamDestination destination = scratch != null ? scratch : RamDestination.of(target);
            PluginRegistry receiving = PluginRegistry.builder().discover()
                    .add(RamPayload.builder().destination(destination).build()).build();
            PluginRegistry sending = PluginRegistry.builder().discover()
                    .add(RamPayload.builder().batchBytes(tls == null ? BATCH_BYTES : TLS_BATCH_BYTES).build()).build();
            MultiFdConfig limits = MultiFdConfig.builder().acceptTimeout(TIMEOUT).handshakeTimeout(TIMEOUT)
                    .ioTimeout(TIMEOUT).build();
            MultiFdConfig config = template.toBuilder().channels(Math.min(2, template.channels()))
                    .maxBandwidth(0).connectTimeout(TIMEOUT).ioTimeout(TIMEOUT).finishTimeout(TIMEOUT).build();
            tcp = TcpTransport.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener = tls == null ? tcp : TlsTransport.listener(tcp, tls);
            TransportConnector connector = tls == null ? TcpTransport.connector(tcp.localAddress())
                    : TlsTransport.tcpConnector(tcp.localAddress(), tls);
            MultiFdReceiver r = MultiFdReceiver.builder(limits, listener).registry(receiving).build();
            receiver = r;
            MultiFdSender s = MultiFdSender.builder(config, connector).registry(sending).build();
            sender = s;
            cancel = cancellation.onCancel(() -> {
                s.close();
                r.close();
            });
            r.start();
            RamSaver saver = RamSaver.open(s, List.of(source));
            s.connect();
            saver.saveAll();
            s.finish();
            r.await(TIMEOUT);
            return new Migrated(source, target);
        } catch (IllegalStateException e) {
            if (cancellation.cancelled()) { // closed by the cancellation between two steps
                throw new IOException("the warm-up was cancelled (" + cancellation.reason() + ")", e);
            }
            throw e;
        } finally {
            if (cancel != null) {
                cancel.close();
            }
            if (sender != null) {
                sender.close();
            }
            if (receiver != null) {
                receiver.close(); // and its listener
            } else if (listener != null) {
                listener.close(); // and the TCP one inside
            } else if (tcp != null) {
                tcp.close();
            }
            library.setLevel(level);
            if (scratch != null) {
                scratch.close();
            }
        }
    }

    /**
     * What a warm-up migrated: from {@code source} to {@code destination}, which then hold the
     * same bytes. Owned by the caller; nothing else refers to them.
     *
     * @param source      the block sent
     * @param destination the block received into (in memory, or the mapping of the removed
     *                    temporary file)
     */
    record Migrated(RamBlock source, RamBlock destination) {
    }

    /**
     * A temporary file, sparse and all zero, that receives the warm-up's pages with positional
     * writes (through {@link RamDestination#writeTarget}), mapped as the block's readable view,
     * as {@code recv} writes a new file. Its name is removed as soon as it is open (on Linux), or
     * by {@link #close()}.
     */
    private static final class Scratch implements RamDestination {
        private final Path file;
        private final FileChannel channel;
        private final RamBlock block;

        Scratch(Path dir, long size) throws IOException {
            Path f = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
                    ? Files.createTempFile(dir, ".multifd-warm-up-", ".tmp",
                            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, ".multifd-warm-up-", ".tmp");
            FileChannel ch = null;
            try {
                ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
                ch.write(ByteBuffer.allocate(1), size - 1); // sparse: a hole up to the last byte
                block = RamBlock.map("warm-up", ch, 0, size, 4096, FileChannel.MapMode.READ_WRITE);
            } catch (IOException | RuntimeException e) {
                if (ch != null) {
                    ch.close();
                }
                Files.deleteIfExists(f);
                throw e;
            }
            channel = ch;
            file = unlinked(f) ? null : f;
        }

        /** Removes the name at once where the system allows it while open: nothing is left even after a kill. */
        private static boolean unlinked(Path f) {
            try {
                Files.delete(f);
                return true;
            } catch (IOException e) {
                return false; // removed by close()
            }
        }

        @Override
        public List<RamBlock> open(RamSetupRecord announced) {
            return List.of(block); // checked against the announcement by the RAM payload
        }

        @Override
        public boolean blocksStartZeroed() {
            return true;
        }

        @Override
        public WriteTarget writeTarget(RamBlock b) {
            return new WriteTarget(channel, 0);
        }

        void close() throws IOException {
            try {
                channel.close();
            } finally {
                if (file != null) {
                    Files.deleteIfExists(file); // the mapping stays valid until collected
                }
            }
        }
    }

    /** A third of the pages zero, a third random, a third text-like; slices of two small pools. */
    private static void fill(RamBlock block) {
        SplittableRandom rnd = new SplittableRandom(0x6d756c7469666dL);
        byte[] random = new byte[64 << 10];
        rnd.nextBytes(random);
        byte[] text = new byte[64 << 10];
        for (int i = 0; i < text.length; i++) {
            text[i] = (byte) "etaoin shrdlu".charAt((random[i] & 0xff) % 13);
        }
        int page = 4096;
        for (long off = 0, i = 0; off + page <= block.length(); off += page, i++) {
            int kind = (int) ((i * 0x9E3779B97F4A7C15L) >>> 62) % 3; // spread, not in stripes
            if (kind == 0) {
                continue;
            }
            byte[] pool = kind == 1 ? random : text;
            block.put(off, pool, (int) ((i * 4099) % (pool.length - page)), page);
        }
    }
}
