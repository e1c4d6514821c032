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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command line over a bandwidth-capped link: a receiver in a network namespace of its own
 * behind a veth pair limited by a token-bucket qdisc ({@code multifd-bench/scripts/capped-link.sh},
 * which cleans everything up). Runs as root with {@code ip} and {@code tc}; skipped otherwise.
 * Checks that the migration completes byte-exact under the cap with a short I/O timeout (a slow
 * but moving link must never time out); the throughput against the cap is printed, not asserted
 * (timing belongs to the benchmarks, see docs/performance.md).
 */
@Timeout(180)
class CappedLinkIT {

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void aCappedLinkCarriesTheMigrationByteExactWithoutAFalseTimeout() throws Exception {
        assumeTrue(runs("id", "-u") && "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream()
                .readAllBytes(), StandardCharsets.US_ASCII).strip()), "needs root (network namespaces, tc)");
        assumeTrue(runs("ip", "netns", "list") && runs("tc", "-V"), "needs iproute2 (ip netns, tc)");
        Path script = Launcher.REPO.resolve("multifd-bench/scripts/capped-link.sh");
        assumeTrue(Files.isRegularFile(script), "the capped-link script is part of the source tree");
        Process p = new ProcessBuilder("bash", script.toString(), "--rate", "50mbit", "--size", "8M", "--runs", "1",
                "--channels", "2", "--io-timeout", "2").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(150, TimeUnit.SECONDS)).as(out).isTrue();
        System.out.println(out);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as("the one run's line: both sides hashed the same bytes").containsPattern("(?m)^1\\s+50mbit\\s+\\S+\\s+\\S+\\s+yes$");
    }
}
