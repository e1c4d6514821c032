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
package io.multifd.testing.logging;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps what the library logs during tests off the console, hands it to the tests for assertions,
 * and prints it only for a test that fails.
 *
 * <p>For each test class and for each test, every record logged under the {@code io.multifd}
 * logger (and its children, where the library's {@link System.Logger}s land through
 * java.util.logging) goes to a {@link CapturedLogs}, not to the parent handlers (the console): the
 * extension adds a handler to that logger and turns its {@code useParentHandlers} off while a
 * capture is open, and restores both when the last one closes. Records logged while a test runs
 * belong to that test; records logged in a class's {@code @BeforeAll} or {@code @AfterAll} methods,
 * or between its tests, belong to the class. When a test fails (or a class's set-up or tear-down
 * does), its records are printed to {@code System.err} in the standard java.util.logging text
 * format, with stack traces, so that a red build stays diagnosable.
 *
 * <p>A test, {@code @BeforeEach} or {@code @AfterEach} method receives its capture by declaring a
 * {@link CapturedLogs} parameter. Register the extension with
 * {@code @ExtendWith(CaptureLogsExtension.class)}, or for every test of a module through
 * JUnit's extension auto-detection, which this artifact supports: put
 * {@code junit.jupiter.extensions.autodetection.enabled=true} in the module's
 * {@code src/test/resources/junit-platform.properties}.
 *
 * <p>Records are accepted from any thread. Captures nest (class, then test) and only the innermost
 * open one receives records, which assumes that the tests of one JVM run one at a time (JUnit's
 * default); with parallel execution a test may see records of another. Records logged after the
 * last capture closed go to the console as usual. Callbacks run on JUnit's thread.
 */
public final class CaptureLogsExtension
        implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback, ParameterResolver {

    /** The logger whose records are captured, with those of its children. */
    public static final String LOGGER_NAME = "io.multifd";

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(CaptureLogsExtension.class);
    private static final Object KEY = CapturedLogs.class;

    // A strong reference: java.util.logging forgets the configuration of a logger nobody holds.
    private static final Logger LOGGER = Logger.getLogger(LOGGER_NAME);
    private static final Deque<CapturedLogs> OPEN = new ArrayDeque<>(); // guarded by CaptureLogsExtension.class
    private static final Handler HANDLER = new Handler() {
        @Override
        public void publish(LogRecord record) {
            CapturedLogs top;
            synchronized (CaptureLogsExtension.class) {
                top = OPEN.peekLast();
            }
            if (top != null) {
                top.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static boolean savedUseParentHandlers; // guarded by CaptureLogsExtension.class

    /** Creates the extension; JUnit does, when it is registered. */
    public CaptureLogsExtension() {
        HANDLER.setLevel(Level.ALL);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        open(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        open(context);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close(context);
    }

    /**
     * Supports parameters of type {@link CapturedLogs}.
     *
     * @param parameterContext the parameter
     * @param extensionContext the test or class
     * @return whether the parameter is a {@link CapturedLogs}
     */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == CapturedLogs.class;
    }

    /**
     * The capture of the running test, or of the class outside a test.
     *
     * @param parameterContext the parameter
     * @param extensionContext the test or class
     * @return the open capture
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        CapturedLogs logs = extensionContext.getStore(NAMESPACE).get(KEY, CapturedLogs.class);
        if (logs == null) {
            throw new IllegalStateException("no log capture is open for " + extensionContext.getDisplayName());
        }
        return logs;
    }

    private static void open(ExtensionContext context) {
        CapturedLogs logs = new CapturedLogs();
        context.getStore(NAMESPACE).put(KEY, logs);
        synchronized (CaptureLogsExtension.class) {
            if (OPEN.isEmpty()) {
                savedUseParentHandlers = LOGGER.getUseParentHandlers();
                LOGGER.addHandler(HANDLER);
                LOGGER.setUseParentHandlers(false);
            }
            OPEN.addLast(logs);
        }
    }

    private static void close(ExtensionContext context) {
        CapturedLogs logs = context.getStore(NAMESPACE).remove(KEY, CapturedLogs.class);
        if (logs == null) {
            return;
        }
        synchronized (CaptureLogsExtension.class) {
            OPEN.removeLastOccurrence(logs);
            if (OPEN.isEmpty()) {
                LOGGER.removeHandler(HANDLER);
                LOGGER.setUseParentHandlers(savedUseParentHandlers);
            }
        }
        if (context.getExecutionException().isPresent() && logs.size() > 0) {
            String what = context.getTestMethod().isPresent()
                    ? context.getRequiredTestClass().getSimpleName() + "." + context.getDisplayName()
                    : context.getDisplayName();
            PrintStream err = System.err;
            err.println("---- " + what + " failed; the " + logs.size() + " record(s) it logged under "
                    + LOGGER_NAME + ": ----");
            err.print(logs.formatAll());
            err.println("---- end of the records of " + what + " ----");
            err.flush();
        }
    }
}
