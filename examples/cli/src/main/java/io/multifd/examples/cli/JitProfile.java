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

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import javax.management.ObjectName;

/**
 * How the command line's process asks the JIT to compile: C1 for everything, C2 only for the
 * JDK's cryptography. A command is one migration in a fresh JVM; with the JVM's default tiered
 * compilation, C2 compiles the hot paths while they run and competes with them for the CPUs
 * (1.2 to 1.8 CPU seconds per process for a 1 GiB migration, on a 2-vCPU machine most of the
 * migration's time; docs/performance.md, section 12). C1 compiles the same paths in a fraction
 * of that and uses the same intrinsics for them (the zero-page scan's vectorized mismatch,
 * CRC32C); the codecs are native. The JDK's SHA-256 (the result's {@code sha256}), AES-GCM and
 * GHASH (TLS) are intrinsics only C2 uses, so C2 still compiles {@code sun.security},
 * {@code com.sun.crypto}, {@code java.security} and {@code javax.crypto}.
 *
 * <p>Applied by {@link MultifdCommand#main} to the commands that move memory (in-process
 * callers of {@link MultifdCommand#execute} keep their JVM's settings), through the
 * {@code Compiler.directives_add} diagnostic command (what {@code jcmd} calls), so it needs no
 * JVM option and works for {@code java -jar}. {@value #ENV}{@code =tiered} in the environment
 * keeps the JVM's own policy. A JVM without the diagnostic command (not HotSpot) keeps its own
 * policy too: this is only about speed, never about results.
 */
final class JitProfile {

    /** The environment variable that selects the policy: {@code c1} (the default) or {@code tiered}. */
    static final String ENV = "MULTIFD_JIT";

    /**
     * The commands that move memory, for which the profile is applied. Not {@code demo}: its own
     * JVM generates the image (Java code that C2 makes about twice as fast) and starts
     * {@code send} and {@code recv} as processes, which apply the profile themselves.
     */
    static final Set<String> COMMANDS = Set.of("send", "recv", "save", "restore");

    /**
     * HotSpot compiler directives: the first matching entry applies. A method C2 may not compile
     * is compiled by C1 without profiling (tier 1) once it would have gone to C2.
     */
    static final String DIRECTIVES = "[\n"
            + "  { match: [\"sun/security/*.*\", \"com/sun/crypto/*.*\", \"java/security/*.*\", \"javax/crypto/*.*\"],\n"
            + "    c2: { Exclude: false } },\n"
            + "  { match: \"*.*\", c2: { Exclude: true } }\n"
            + "]\n";

    private JitProfile() {
    }

    /**
     * Applies the profile if the command moves memory and the environment does not say
     * otherwise. Main thread, once, before the command runs. Never throws: on any failure the
     * JVM keeps its own policy.
     *
     * @param args the command line (its first argument names the command)
     * @param env  the environment
     * @return what was done, for diagnostics and tests: {@code "c1"}, {@code "tiered"} (left
     *         alone), {@code "unavailable: <reason>"}, or {@code "ignored: <reason>"} when
     *         {@value #ENV} has a value other than {@code c1} and {@code tiered} (the JVM's own
     *         policy is kept; the caller tells the user)
     */
    static String apply(String[] args, Map<String, String> env) {
        String choice = env.getOrDefault(ENV, "c1");
        if (!choice.equals("c1") && !choice.equals("tiered")) {
            return "ignored: " + ENV + "='" + io.multifd.api.spi.PeerText.escape(choice)
                    + "' is neither c1 nor tiered; the JVM's own JIT policy is kept";
        }
        return wanted(args, env) ? install() : "tiered";
    }

    /**
     * Whether the profile is wanted: the command moves memory and {@value #ENV} is unset or
     * {@code c1}.
     *
     * @param args the command line
     * @param env  the environment
     * @return true to apply the profile
     */
    static boolean wanted(String[] args, Map<String, String> env) {
        return "c1".equals(env.getOrDefault(ENV, "c1")) && args.length > 0 && COMMANDS.contains(args[0]);
    }

    /**
     * Adds {@link #DIRECTIVES} to this JVM's compiler directives. Changes how this whole JVM
     * compiles from now on, so only a process's entry point may call it.
     *
     * @return {@code "c1"} if the directives were added, else {@code "unavailable: <reason>"}
     */
    static String install() {
        Path file = null;
        try {
            file = Files.createTempFile("multifd-jit", ".json");
            Files.writeString(file, DIRECTIVES, StandardCharsets.US_ASCII);
            Object result = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            String text = String.valueOf(result).strip();
            return text.startsWith("2 compiler directives added") ? "c1" : "unavailable: " + text;
        } catch (Exception | LinkageError e) {
            return "unavailable: " + e;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException e) {
                    // a temporary file left behind is harmless
                }
            }
        }
    }
}
