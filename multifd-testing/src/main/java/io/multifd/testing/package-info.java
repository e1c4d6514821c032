/**
 * Test support for multifd plug-in authors: fakes of the SPI, forwarding and fault-injecting
 * transports, and contract tests to extend. Depends on {@code multifd-api} only; use it in test
 * scope.
 */
package io.multifd.testing;
