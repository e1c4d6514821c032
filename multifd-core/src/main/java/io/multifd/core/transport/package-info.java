/**
 * Transports: TCP ({@link io.multifd.core.transport.TcpTransport}), Unix domain sockets
 * ({@link io.multifd.core.transport.UnixTransport}) and in-memory pipes for tests
 * ({@link io.multifd.core.transport.InMemoryTransport}, optionally delaying each channel
 * independently). Each gives a {@link io.multifd.api.spi.TransportConnector} for the sender and a
 * {@link io.multifd.api.spi.TransportListener} for the receiver. Write your own by implementing
 * those two interfaces and {@link io.multifd.api.spi.TransportChannel}.
 */
package io.multifd.core.transport;
