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
 * The public face of multifd-java: what users and plug-in authors program against.
 *
 * <p>{@code io.multifd.api} holds the generic slot {@link io.multifd.api.SendData}, the
 * configuration, the exception family, statistics and the event listener.
 * {@code io.multifd.api.spi} holds the three service provider interfaces: payload plug-ins
 * ({@link io.multifd.api.spi.PayloadPlugin}), codecs
 * ({@link io.multifd.api.spi.Codec}), and transports
 * ({@link io.multifd.api.spi.TransportConnector}, {@link io.multifd.api.spi.TransportListener}).
 *
 * <p>This module has no dependencies. It declares no {@code uses}: the registry that loads
 * providers lives in {@code io.multifd.core}, which declares them.
 */
module io.multifd.api {
    exports io.multifd.api;
    exports io.multifd.api.spi;
}
