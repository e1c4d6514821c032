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
package io.multifd.ram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Fresh memory for destination blocks, at the page-population limit of the machine: on JDK 22
 * and later on Linux, anonymous memory from {@code mmap} (the kernel gives a page on its first
 * touch, so the channel threads that write the arriving pages fault them in, spread over the
 * channels, and zero pages that never arrive are never touched); elsewhere direct memory
 * ({@link RamBlock#allocate}, which the JDK clears on the calling thread before the migration).
 * Measured on a 2-vCPU VM for 0.7 GB of pages into 1 GiB: anonymous 0.51–0.60 CPU s in all,
 * direct memory 0.71–1.1, a mapped new {@code /dev/shm} file 0.63–0.86 (docs/performance.md,
 * section 12.2).
 *
 * <p>The anonymous path calls {@code mmap} and {@code munmap} through the foreign function API
 * ({@code java.lang.foreign}), bound at run time, so this class is compiled for JDK 17 and the
 * same jar serves every JDK. Its calls are restricted methods: the path is used only when native
 * access is enabled for this code ({@code --enable-native-access=ALL-UNNAMED} on the class path,
 * or the module's name), so that the JDK never warns; otherwise {@link #unavailableReason()}
 * says why and {@link #allocate} gives direct memory.
 *
 * <p>Ownership: a block from {@link #allocate} is the caller's, like one from
 * {@link RamBlock#allocate}: its memory is freed (unmapped) by the garbage collector once the
 * block and every buffer taken from it are unreachable. Every method may be called from any
 * thread.
 */
public final class FreshMemory {

    /** What {@link #allocate} gives. */
    public enum Kind {
        /** Anonymous memory from {@code mmap}, populated page by page as it is first written. */
        ANONYMOUS,
        /** Direct memory ({@link java.nio.ByteBuffer#allocateDirect}), cleared when allocated. */
        DIRECT
    }

    private FreshMemory() {
    }

    /**
     * What {@link #allocate} gives in this JVM.
     *
     * @return {@link Kind#ANONYMOUS} if the anonymous path is available, else {@link Kind#DIRECT}
     */
    public static Kind kind() {
        return Mmap.INSTANCE.unavailable == null ? Kind.ANONYMOUS : Kind.DIRECT;
    }

    /**
     * Why {@link #allocate} gives direct memory here, if it does.
     *
     * @return empty when anonymous memory is available; else the reason (the JDK is older than
     *         22, the system is not Linux on x86-64 or AArch64, or native access is not enabled)
     */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(Mmap.INSTANCE.unavailable);
    }

    /**
     * Allocates a zero-filled block of fresh memory (see the class documentation for which kind),
     * in 1 GiB segments.
     *
     * @param name     the block name
     * @param length   its length in bytes, at least 1
     * @param pageSize a power of two from {@value RamBlock#MIN_PAGE_SIZE} to {@value RamBlock#MAX_PAGE_SIZE}
     * @return the block, owned by the caller
     * @throws IllegalArgumentException if an argument is out of range
     * @throws UncheckedIOException     if the kernel refuses to map the memory (the message says how much)
     */
    public static RamBlock allocate(String name, long length, int pageSize) {
        return allocate(name, length, pageSize, RamBlock.DEFAULT_SEGMENT_SIZE);
    }

    /** As {@link #allocate(String, long, int)}, with segments of {@code segmentSize} bytes (tests). */
    static RamBlock allocate(String name, long length, int pageSize, long segmentSize) {
        if (kind() == Kind.DIRECT) {
            return RamBlock.allocate(name, length, pageSize, segmentSize);
        }
        RamBlockChecks.checkBlock(name, length, pageSize);
        int shift = RamBlockChecks.segmentShift(segmentSize);
        ByteBuffer[] segments = new ByteBuffer[RamBlockChecks.segmentCount(length, shift)];
        for (int i = 0; i < segments.length; i++) {
            int len = RamBlockChecks.segmentLength(length, shift, i);
            try {
                segments[i] = Mmap.INSTANCE.map(len);
            } catch (IOException e) {
                throw new UncheckedIOException("block '" + name + "': cannot map " + len + " bytes of anonymous "
                        + "memory (segment " + i + " of " + segments.length + ", " + length + " bytes in all): "
                        + e.getMessage(), e);
            }
        }
        return new RamBlock(name, length, pageSize, shift, segments, false, false);
    }

    /** {@code mmap} and {@code munmap} bound through the foreign function API, or why they are not. */
    private static final class Mmap {
        static final Mmap INSTANCE = new Mmap();

        private static final int PROT_READ_WRITE = 0x1 | 0x2;
        private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20; // Linux, x86-64 and AArch64
        private static final long MAP_FAILED = -1L;

        final String unavailable;
        private MethodHandle mmap;
        private MethodHandle munmap;
        private MethodHandle ofAddress;
        private MethodHandle reinterpret;
        private MethodHandle asByteBuffer;
        private MethodHandle address;
        private MethodHandle autoArena;
        private Object nullSegment;

        private Mmap() {
            String why = precondition();
            if (why == null) {
                try {
                    bind();
                } catch (Throwable e) {
                    why = "the foreign function API could not bind mmap: " + e;
                }
            }
            unavailable = why;
        }

        private static String precondition() {
            if (Runtime.version().feature() < 22) {
                return "anonymous memory needs JDK 22 or later (the foreign function API); this is JDK "
                        + Runtime.version().feature();
            }
            String os = System.getProperty("os.name", "");
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
                return "anonymous memory is supported on Linux on x86-64 and AArch64, not " + os + " on " + arch;
            }
            try {
                Module module = FreshMemory.class.getModule();
                boolean enabled = (boolean) Module.class.getMethod("isNativeAccessEnabled").invoke(module);
                if (!enabled) {
                    return "native access is not enabled for " + (module.isNamed() ? "module " + module.getName()
                            : "the class path") + " (start the JVM with --enable-native-access="
                            + (module.isNamed() ? module.getName() : "ALL-UNNAMED") + ")";
                }
            } catch (ReflectiveOperationException e) {
                return "cannot tell whether native access is enabled: " + e;
            }
            return null;
        }

        private void bind() throws Throwable {
            MethodHandles.Lookup lookup = MethodHandles.lookup(); // a full lookup: reinterpret is caller-sensitive
            Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
            Class<?> arena = Class.forName("java.lang.foreign.Arena");
            Class<?> linkerType = Class.forName("java.lang.foreign.Linker");
            Class<?> layout = Class.forName("java.lang.foreign.MemoryLayout");
            Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
            Class<?> descriptor = Class.forName("java.lang.foreign.FunctionDescriptor");
            Class<?> symbols = Class.forName("java.lang.foreign.SymbolLookup");
            Class<?> option = Class.forName("java.lang.foreign.Linker$Option");

            Object linker = linkerType.getMethod("nativeLinker").invoke(null);
            Object defaults = linkerType.getMethod("defaultLookup").invoke(linker);
            Object addressLayout = valueLayout.getField("ADDRESS").get(null);
            Object longLayout = valueLayout.getField("JAVA_LONG").get(null);
            Object intLayout = valueLayout.getField("JAVA_INT").get(null);
            Object noOptions = Array.newInstance(option, 0);
            java.lang.reflect.Method find = symbols.getMethod("find", String.class);
            java.lang.reflect.Method of = descriptor.getMethod("of", layout, Array.newInstance(layout, 0).getClass());
            java.lang.reflect.Method downcall = linkerType.getMethod("downcallHandle", segment, descriptor,
                    noOptions.getClass());

            Object mmapArgs = layouts(layout, addressLayout, longLayout, intLayout, intLayout, intLayout, longLayout);
            Object munmapArgs = layouts(layout, addressLayout, longLayout);
            mmap = (MethodHandle) downcall.invoke(linker, symbol(find, defaults, "mmap"),
                    of.invoke(null, addressLayout, mmapArgs), noOptions);
            munmap = (MethodHandle) downcall.invoke(linker, symbol(find, defaults, "munmap"),
                    of.invoke(null, intLayout, munmapArgs), noOptions);

            ofAddress = lookup.findStatic(segment, "ofAddress", MethodType.methodType(segment, long.class));
            reinterpret = lookup.findVirtual(segment, "reinterpret",
                    MethodType.methodType(segment, long.class, arena, Consumer.class));
            asByteBuffer = lookup.findVirtual(segment, "asByteBuffer", MethodType.methodType(ByteBuffer.class));
            address = lookup.findVirtual(segment, "address", MethodType.methodType(long.class));
            autoArena = lookup.findStatic(arena, "ofAuto", MethodType.methodType(arena));
            nullSegment = segment.getField("NULL").get(null);
        }

        private static Object layouts(Class<?> layout, Object... items) {
            Object array = Array.newInstance(layout, items.length);
            for (int i = 0; i < items.length; i++) {
                Array.set(array, i, items[i]);
            }
            return array;
        }

        private static Object symbol(java.lang.reflect.Method find, Object lookup, String name) throws Exception {
            Optional<?> found = (Optional<?>) find.invoke(lookup, name);
            return found.orElseThrow(() -> new IllegalStateException("the C library has no symbol " + name));
        }

        /**
         * Maps {@code length} bytes of private anonymous memory and returns them as a direct
         * buffer whose memory is unmapped once the buffer (and every view of it) is unreachable.
         */
        ByteBuffer map(int length) throws IOException {
            try {
                Object mapped = mmap.invokeWithArguments(nullSegment, (long) length, PROT_READ_WRITE,
                        MAP_PRIVATE_ANONYMOUS, -1, 0L);
                long base = (long) address.invokeWithArguments(mapped);
                if (base == MAP_FAILED || base == 0) {
                    throw new IOException("mmap refused (out of memory, or a limit such as ulimit -v or "
                            + "vm.max_map_count)");
                }
                Consumer<Object> unmap = ignored -> unmap(base, length);
                Object sized = reinterpret.invokeWithArguments(ofAddress.invokeWithArguments(base), (long) length,
                        autoArena.invokeWithArguments(), unmap);
                return (ByteBuffer) asByteBuffer.invokeWithArguments(sized);
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IOException("mmap through the foreign function API failed: " + e, e);
            }
        }

        private void unmap(long base, long length) {
            try {
                munmap.invokeWithArguments(ofAddress.invokeWithArguments(base), length);
            } catch (Throwable e) {
                // the memory stays mapped until the process ends: nothing else can be done in a cleaner
            }
        }
    }
}
