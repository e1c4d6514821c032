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

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The command line's JIT profile: when it applies, and that HotSpot accepts its directives. */
class JitProfileTest {

    @Test
    void appliesToTheCommandsThatMoveMemoryUnlessTheEnvironmentSaysTiered() {
        for (String command : List.of("send", "recv", "save", "restore")) {
            assertThat(JitProfile.wanted(new String[] {command, "--help"}, Map.of())).as(command).isTrue();
            assertThat(JitProfile.wanted(new String[] {command}, Map.of(JitProfile.ENV, "c1"))).as(command).isTrue();
            assertThat(JitProfile.wanted(new String[] {command}, Map.of(JitProfile.ENV, "tiered"))).as(command).isFalse();
        }
        for (String command : List.of("demo", "keygen", "inspect", "gen-image", "--help", "sned")) {
            assertThat(JitProfile.wanted(new String[] {command}, Map.of())).as(command).isFalse();
        }
        assertThat(JitProfile.wanted(new String[0], Map.of())).isFalse();
        assertThat(JitProfile.apply(new String[] {"keygen"}, Map.of())).isEqualTo("tiered");
        assertThat(JitProfile.apply(new String[] {"send"}, Map.of(JitProfile.ENV, "tiered"))).isEqualTo("tiered");
        assertThat(JitProfile.apply(new String[] {"send"}, Map.of(JitProfile.ENV, "C2\n")))
                .isEqualTo("ignored: MULTIFD_JIT='C2\\x0a' is neither c1 nor tiered; the JVM's own JIT policy is kept");
    }

    /**
     * Installs the directives in a child JVM (they change how a whole JVM compiles, so not in
     * this one) and expects HotSpot to have accepted both of them, on the JDK running the tests.
     */
    @Test
    void hotSpotAcceptsTheDirectives() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                JitProfileTest.Child.class.getName())
                .redirectErrorStream(true).start();
        boolean ended = child.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            child.destroyForcibly(); // not left running after the test
        }
        assertThat(ended).as("the child JVM ended").isTrue();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).isEqualTo("c1");
    }

    /** The child JVM: prints what {@link JitProfile#install} reported. */
    static final class Child {
        private Child() {
        }

        /**
         * Entry point of the child JVM.
         *
         * @param args unused
         */
        public static void main(String[] args) {
            System.out.println(JitProfile.install());
        }
    }
}
