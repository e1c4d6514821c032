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
 * Transports: TCP ({@link io.multifd.core.transport.TcpTransport}), Unix domain sockets
 * ({@link io.multifd.core.transport.UnixTransport}) and in-memory pipes for tests
 * ({@link io.multifd.core.transport.InMemoryTransport}, optionally delaying each channel
 * independently). Each gives a {@link io.multifd.api.spi.TransportConnector} for the sender and a
 * {@link io.multifd.api.spi.TransportListener} for the receiver. Write your own by implementing
 * those two interfaces and {@link io.multifd.api.spi.TransportChannel}.
 */
package io.multifd.core.transport;
