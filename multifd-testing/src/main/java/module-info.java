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
/**
 * Test support for multifd plug-in authors: fakes of the SPI ({@code io.multifd.testing}),
 * forwarding and fault-injecting transports ({@code io.multifd.testing.transport}), the payload and
 * codec contract tests to extend ({@code io.multifd.testing.contract}), and a JUnit extension that
 * keeps the library's log records off the console and hands them to the test
 * ({@code io.multifd.testing.logging}), and one that fails a test leaving a thread, a file
 * descriptor or direct memory behind ({@code io.multifd.testing.leaks}). Use it in test scope. Open, so that JUnit may call the
 * contract tests' lifecycle methods reflectively when it runs on the module path.
 */
open module io.multifd.testing {
    requires transitive io.multifd.api;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;
    requires transitive org.assertj.core;
    requires java.logging;
    requires java.management;
    requires jdk.management;

    exports io.multifd.testing;
    exports io.multifd.testing.contract;
    exports io.multifd.testing.fuzz;
    exports io.multifd.testing.leaks;
    exports io.multifd.testing.logging;
    exports io.multifd.testing.transport;

    provides org.junit.jupiter.api.extension.Extension with io.multifd.testing.logging.CaptureLogsExtension;
}
