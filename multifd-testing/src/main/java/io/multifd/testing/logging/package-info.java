/**
 * Log capture for tests: {@link io.multifd.testing.logging.CaptureLogsExtension} keeps the
 * records logged under {@code io.multifd} off the console, hands them to each test as
 * {@link io.multifd.testing.logging.CapturedLogs} for assertions, and prints them only for a test
 * that fails.
 */
package io.multifd.testing.logging;
