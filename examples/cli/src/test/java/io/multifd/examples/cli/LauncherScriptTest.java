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

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code ./multifd} launcher's own logic, on a copy of the script in a throw-away tree with a
 * fake {@code mvnw} (which counts its runs and takes a second) and a fake {@code java} (which
 * prints its arguments): builds when the jar is missing or a source is newer, never otherwise,
 * once for two launchers started together (with flock, and with the mkdir fallback), shows a
 * failed build's output, works from any directory, and honours MULTIFD_NO_BUILD.
 */
@Timeout(120)
class LauncherScriptTest {

    @TempDir
    Path tmp;

    private Path root;
    private Path javaHome;
    private Path jar;
    private Path calls;

    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectories(tmp.resolve("repo"));
        Path script = findRepo().resolve("multifd");
        Files.copy(script, root.resolve("multifd"));
        executable(root.resolve("multifd"));
        calls = root.resolve("mvnw.calls");
        jar = root.resolve("examples/cli/target/multifd.jar");
        write(root.resolve("mvnw"), "#!/bin/bash\n"
                + "echo \"$@\" >> '" + calls + "'\n"
                + "if [ -f '" + root.resolve("fail") + "' ]; then echo 'ERROR: boom in module x'; exit 1; fi\n"
                + "sleep 1\n"
                + "mkdir -p '" + jar.getParent() + "' && echo jar > '" + jar + "'\n");
        executable(root.resolve("mvnw"));
        javaHome = Files.createDirectories(tmp.resolve("jdk/bin")).getParent();
        write(javaHome.resolve("bin/java"), "#!/bin/bash\necho \"java $*\"\n");
        executable(javaHome.resolve("bin/java"));
        Instant old = Instant.now().minusSeconds(3600);
        for (String f : List.of("pom.xml", "examples/pom.xml", "examples/cli/pom.xml",
                "examples/cli/src/main/java/A.java",
                "multifd-core/pom.xml", "multifd-core/src/main/java/B.java", "multifd-ram/src/main/java/C.java")) {
            Path p = root.resolve(f);
            Files.createDirectories(p.getParent());
            write(p, "x");
            Files.setLastModifiedTime(p, FileTime.from(old));
        }
    }

    record Result(int status, String out, String err) {
    }

    private Result launch(Path cwd, Map<String, String> env, String... args) throws Exception {
        return finish(start(cwd, env, args));
    }

    private Process start(Path cwd, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("multifd").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().put("JAVA_HOME", javaHome.toString());
        pb.environment().remove("MULTIFD_NO_BUILD");
        pb.environment().putAll(env);
        Path io = Files.createTempDirectory(tmp, "io");
        pb.redirectOutput(io.resolve("out").toFile());
        pb.redirectError(io.resolve("err").toFile());
        Process p = pb.start();
        outputs.put(p, io);
        return p;
    }

    private final Map<Process, Path> outputs = new java.util.concurrent.ConcurrentHashMap<>();

    private Result finish(Process p) throws Exception {
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Path io = outputs.get(p);
        return new Result(p.exitValue(), Files.readString(io.resolve("out")), Files.readString(io.resolve("err")));
    }

    private int builds() throws IOException {
        return Files.exists(calls) ? Files.readAllLines(calls).size() : 0;
    }

    @Test
    void buildsOnceThenRunsTheJarWithNativeAccessFromAnyDirectory() throws Exception {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Result first = launch(elsewhere, Map.of(), "send", "--image", "relative.img");
        assertThat(first.status()).as(first.err()).isZero();
        assertThat(first.err()).contains("building...");
        assertThat(builds()).isEqualTo(1);
        assertThat(Files.readString(calls)).contains("-pl examples/cli -am package -DskipTests").contains("-q");
        assertThat(first.out().strip()).isEqualTo("java --enable-native-access=ALL-UNNAMED -jar " + jar
                + " send --image relative.img");

        Result second = launch(elsewhere, Map.of(), "demo");
        assertThat(second.status()).isZero();
        assertThat(second.err()).isEmpty();
        assertThat(builds()).as("a fresh jar is not rebuilt").isEqualTo(1);
    }

    @Test
    void aSourceNewerThanTheJarRebuilds() throws Exception {
        assertThat(launch(tmp, Map.of(), "x").status()).isZero();
        assertThat(builds()).isEqualTo(1);
        Path source = root.resolve("multifd-ram/src/main/java/C.java");
        Files.setLastModifiedTime(source, FileTime.from(Instant.now())); // saved after the build
        Result r = launch(tmp, Map.of(), "x");
        assertThat(r.err()).contains("building...");
        assertThat(builds()).isEqualTo(2);
        assertThat(launch(tmp, Map.of(), "x").err()).isEmpty();
        assertThat(builds()).isEqualTo(2);
    }

    @Test
    void theCommandLinesOwnSourcesAndItsParentPomRebuild() throws Exception {
        assertThat(launch(tmp, Map.of(), "x").status()).isZero();
        assertThat(builds()).isEqualTo(1);
        int expected = 1;
        for (String f : List.of("examples/cli/src/main/java/A.java", "examples/cli/pom.xml", "examples/pom.xml")) {
            Files.setLastModifiedTime(root.resolve(f), FileTime.from(Instant.now())); // saved after the build
            Result r = launch(tmp, Map.of(), "x");
            assertThat(r.err()).as(f).contains("building...");
            assertThat(builds()).as(f).isEqualTo(++expected);
        }
        assertThat(launch(tmp, Map.of(), "x").err()).isEmpty();
        assertThat(builds()).isEqualTo(expected);
    }

    @Test
    void twoLaunchersStartedTogetherBuildOnce() throws Exception {
        Process a = start(tmp, Map.of(), "a");
        Process b = start(tmp, Map.of(), "b");
        Result ra = finish(a);
        Result rb = finish(b);
        assertThat(ra.status()).as(ra.err()).isZero();
        assertThat(rb.status()).as(rb.err()).isZero();
        assertThat(builds()).isEqualTo(1);
        assertThat(ra.out()).endsWith(" a\n");
        assertThat(rb.out()).endsWith(" b\n");
        assertThat(ra.err() + rb.err()).containsOnlyOnce("building...");
    }

    @Test
    void withoutFlockTheFallbackLockAlsoBuildsOnce() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin-without-flock"));
        for (String tool : List.of("bash", "readlink", "dirname", "find", "mkdir", "touch", "cat", "rm", "sleep", "env")) {
            Path real = Path.of("/usr/bin", tool);
            if (!Files.exists(real)) {
                real = Path.of("/bin", tool);
            }
            Files.createSymbolicLink(bin.resolve(tool), real);
        }
        Map<String, String> env = Map.of("PATH", bin.toString());
        Result ra;
        Result rb;
        try {
            Process a = start(tmp, env, "a");
            Process b = start(tmp, env, "b");
            ra = finish(a);
            rb = finish(b);
        } finally {
            try (var links = Files.list(bin)) {
                for (Path link : links.toList()) {
                    Files.delete(link); // the links, not the system's tools
                }
            }
        }
        assertThat(ra.status()).as(ra.err()).isZero();
        assertThat(rb.status()).as(rb.err()).isZero();
        assertThat(builds()).isEqualTo(1);
        assertThat(root.resolve(".multifd/build.lock.d")).doesNotExist();
    }

    @Test
    void aFailedBuildShowsMavensOutput() throws Exception {
        write(root.resolve("fail"), "");
        Result r = launch(tmp, Map.of(), "demo");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("building...").contains("ERROR: boom in module x").contains("the build failed");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void noBuildMeansNoBuild() throws Exception {
        Result r = launch(tmp, Map.of("MULTIFD_NO_BUILD", "1"), "demo");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("MULTIFD_NO_BUILD=1 forbids building it");
        assertThat(builds()).isZero();
    }

    // ------------------------------------------------------------------ helpers

    /** The repository root: where the real launcher lives, above this module. */
    static Path findRepo() {
        String prop = System.getProperty("multifd.repo");
        if (prop != null) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("multifd"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository root (with the multifd launcher) above "
                    + Path.of("").toAbsolutePath());
        }
        return p;
    }

    private static void write(Path p, String text) throws IOException {
        Files.writeString(p, text);
    }

    private static void executable(Path p) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
