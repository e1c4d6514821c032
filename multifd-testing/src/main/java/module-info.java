/**
 * Test support for multifd plug-in authors: fakes of the SPI ({@code io.multifd.testing}),
 * forwarding and fault-injecting transports ({@code io.multifd.testing.transport}), the payload and
 * codec contract tests to extend ({@code io.multifd.testing.contract}), and a JUnit extension that
 * keeps the library's log records off the console and hands them to the test
 * ({@code io.multifd.testing.logging}). Use it in test scope. Open, so that JUnit may call the
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
    exports io.multifd.testing.logging;
    exports io.multifd.testing.transport;

    provides org.junit.jupiter.api.extension.Extension with io.multifd.testing.logging.CaptureLogsExtension;
}
