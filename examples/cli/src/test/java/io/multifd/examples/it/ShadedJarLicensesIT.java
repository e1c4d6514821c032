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
package io.multifd.examples.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runnable jar (multifd.jar) bundles third-party code, so it must carry each bundled project's licence
 * and a NOTICE naming them. This reads the jar the build just shaded: every class or native library in it
 * belongs to a known project whose licence file is present, and a new bundled dependency without a licence
 * fails here until its licence and NOTICE entry are added (examples/cli/src/main/resources/META-INF).
 */
class ShadedJarLicensesIT {

    /** Where each bundled project's entries start, and the licence file that must cover them. */
    private static final Map<String, String> LICENCE_BY_PREFIX = Map.ofEntries(
            Map.entry("io/multifd/", "META-INF/licenses/Apache-2.0.txt"),
            Map.entry("com/github/luben/zstd/", "META-INF/licenses/zstd-jni.txt"),
            Map.entry("net/jpountz/", "META-INF/licenses/lz4-java.txt"),
            Map.entry("picocli/", "META-INF/licenses/picocli.txt"),
            Map.entry("me/tongfei/progressbar/", "META-INF/licenses/progressbar.txt"),
            Map.entry("org/jline/", "META-INF/licenses/jline.txt"),
            Map.entry("org/bouncycastle/", "META-INF/licenses/bouncycastle.txt"));

    /** zstd-jni keeps its native libraries at the jar's root, one folder per operating system. */
    private static final List<String> ZSTD_NATIVE_ROOTS =
            List.of("linux/", "darwin/", "win/", "freebsd/", "aix/");

    private static Path jar;

    @BeforeAll
    static void findJar() {
        String property = System.getProperty("multifd.jar");
        assertThat(property).as("system property multifd.jar (set by the failsafe configuration)").isNotNull();
        jar = Path.of(property);
        assertThat(jar).as("the shaded jar").isRegularFile();
    }

    @Test
    void everyLicenceFileAndTheNoticeArePresentAndNotEmpty() throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            for (String licence : new TreeSet<>(LICENCE_BY_PREFIX.values())) {
                assertThat(text(j, licence)).as(licence).isNotBlank();
            }
            String notice = text(j, "META-INF/NOTICE");
            for (String licence : new TreeSet<>(LICENCE_BY_PREFIX.values())) {
                assertThat(notice).as("META-INF/NOTICE names " + licence).contains(licence);
            }
        }
    }

    @Test
    void everyBundledClassAndNativeLibraryIsCoveredByALicence() throws IOException {
        List<String> uncovered = new ArrayList<>();
        int classes = 0;
        try (JarFile j = new JarFile(jar.toFile())) {
            for (JarEntry e : Collections.list(j.entries())) {
                String name = e.getName();
                if (e.isDirectory() || name.startsWith("META-INF/")) {
                    continue;
                }
                if (name.endsWith(".class")) {
                    classes++;
                }
                boolean covered = LICENCE_BY_PREFIX.keySet().stream().anyMatch(name::startsWith)
                        || ZSTD_NATIVE_ROOTS.stream().anyMatch(name::startsWith) && name.contains("zstd-jni");
                if (!covered) {
                    uncovered.add(name);
                }
            }
        }
        assertThat(classes).as("classes in the jar").isGreaterThan(100);
        assertThat(uncovered).as("entries of multifd.jar from a project with no licence file in META-INF/licenses")
                .isEmpty();
    }

    @Test
    void theBundledProjectsAreTheOnesTheNoticeNames() throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            for (String prefix : LICENCE_BY_PREFIX.keySet()) {
                boolean present = Collections.list(j.entries()).stream()
                        .anyMatch(e -> e.getName().startsWith(prefix) && e.getName().endsWith(".class"));
                assertThat(present).as("classes under " + prefix + " (remove its licence when it is no longer bundled)")
                        .isTrue();
            }
        }
    }

    private static String text(JarFile j, String name) throws IOException {
        JarEntry e = j.getJarEntry(name);
        assertThat(e).as("entry " + name + " in " + jar.getFileName()).isNotNull();
        try (InputStream in = j.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
