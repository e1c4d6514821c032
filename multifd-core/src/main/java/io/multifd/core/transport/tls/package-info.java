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
 * Mutual TLS for the socket transports, on the JDK's own JSSE: {@link io.multifd.core.transport.tls.TlsTransport}
 * wraps a TCP or Unix-domain connector or listener, {@link io.multifd.core.transport.tls.TlsConfig} says who this
 * end is and whom it trusts (an {@code SSLContext}, or PEM certificate, PKCS#8 key and trust file).
 */
package io.multifd.core.transport.tls;
