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
package io.multifd.testing.leaks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder.request;

/**
 * The extension can fail: each nested class leaks one thing (or nothing), is run through the
 * JUnit launcher, and the failure names exactly what was left. The leaked things are released
 * after each run.
 */
@Timeout(60)
class NoLeaksExtensionTest {

    static volatile CountDownLatch release;
    static volatile FileChannel heldFile;
    static volatile ByteBuffer heldDirect;

    @BeforeEach
    void hold() {
        release = new CountDownLatch(1);
    }

    @AfterEach
    void release() throws IOException {
        release.countDown();
        if (heldFile != null) {
            heldFile.close();
            heldFile = null;
        }
        heldDirect = null;
    }

    /** Runs a nested class; returns the messages of its failures, empty if it passed. */
    private static List<String> failures(Class<?> testClass) {
        List<String> failed = new ArrayList<>();
        LauncherFactory.create().execute(request().selectors(selectClass(testClass)).build(),
                new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                            synchronized (failed) {
                                failed.add(result.getThrowable().map(Throwable::getMessage).orElse("?"));
                            }
                        }
                    }
                });
        return failed;
    }

    @Test
    void aTestThatReleasesEverythingPasses() {
        assertThat(failures(Clean.class)).isEmpty();
    }

    @Test
    void aThreadLeftAliveFailsTheTestByName() {
        assertThat(failures(LeavesThread.class)).singleElement().asString()
                .contains("thread \"leaky-worker\"", "is still alive").doesNotContain("descriptor", "direct memory");
    }

    @Test
    void aFileLeftOpenFailsTheTestByPath() {
        assumeThat(Path.of("/proc/self/fd")).as("/proc/self/fd exists").isDirectory();
        assertThat(failures(LeavesFile.class)).singleElement().asString()
                .containsPattern("file descriptor \\d+ \\(.*/leaky\\d+\\.bin\\) is still open").doesNotContain("thread", "direct memory");
    }

    @Test
    void directMemoryStillReferencedFailsTheTest() {
        assertThat(failures(HoldsDirect.class)).singleElement().asString()
                .contains("direct memory grew by", "allowed: 0").doesNotContain("thread", "descriptor");
    }

    @Test
    void slackAllowsACacheThatLivesAsLongAsTheJvm() {
        assertThat(failures(HoldsDirectWithinSlack.class)).isEmpty();
    }

    // ------------------------------------------------------------------ run through the launcher

    /** Starts and joins a thread, opens and closes a file, drops a direct buffer. */
    static class Clean {
        @RegisterExtension
        static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().grace(Duration.ofSeconds(2)).build();

        @Test
        void releasesEverything() throws Exception {
            Thread t = new Thread(() -> { }, "tidy-worker");
            t.start();
            t.join();
            Path f = Files.createTempFile("tidy", ".bin");
            try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                c.write(ByteBuffer.wrap(new byte[] {1}));
            }
            Files.delete(f);
            ByteBuffer.allocateDirect(1 << 20).put(0, (byte) 1);
        }
    }

    /** Leaves a thread waiting. */
    static class LeavesThread {
        @RegisterExtension
        static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().grace(Duration.ofMillis(200)).build();

        @Test
        void leaves() {
            Thread t = new Thread(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "leaky-worker");
            t.setDaemon(true);
            t.start();
        }
    }

    /** Leaves a file open. */
    static class LeavesFile {
        @RegisterExtension
        static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().grace(Duration.ofMillis(200)).build();

        @Test
        void leaves() throws IOException {
            Path f = Files.createTempFile("leaky", ".bin");
            f.toFile().deleteOnExit();
            heldFile = FileChannel.open(f, StandardOpenOption.WRITE);
        }
    }

    /** Keeps a direct buffer referenced. */
    static class HoldsDirect {
        @RegisterExtension
        static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().grace(Duration.ofMillis(200)).build();

        @Test
        void holds() {
            heldDirect = ByteBuffer.allocateDirect(1 << 20);
        }
    }

    /** Keeps a direct buffer referenced, within the slack. */
    static class HoldsDirectWithinSlack {
        @RegisterExtension
        static final NoLeaksExtension NO_LEAKS = NoLeaksExtension.builder().grace(Duration.ofMillis(200))
                .directMemorySlack(2 << 20).build();

        @Test
        void holds() {
            heldDirect = ByteBuffer.allocateDirect(1 << 20);
        }
    }
}
