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
import io.multifd.api.spi.PayloadPlugin;
import io.multifd.api.spi.Codec;

/**
 * The multifd engine: {@link io.multifd.core.MultiFdSender} and {@link io.multifd.core.MultiFdReceiver}
 * move generic slots over N parallel channels, keep the sync barrier and the end-of-migration
 * exchange, and load plug-ins through {@link io.multifd.core.PluginRegistry}. The package
 * {@code io.multifd.core.transport} holds the TCP, Unix-domain and in-memory transports, and
 * {@code io.multifd.core.transport.tls} mutual TLS over the socket ones.
 * Never names a payload kind or a codec; ships the identity codec {@code none}.
 *
 * <p>The library prints nothing: it logs through {@link System.Logger} under the names
 * {@code io.multifd.core.*}, and records JDK Flight Recorder events in category {@code multifd}
 * (package {@code io.multifd.core.jfr}, not exported: recordings name the events).
 */
module io.multifd.core {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;
    requires jdk.jfr;
    requires java.naming;
    requires jdk.net;

    exports io.multifd.core;
    exports io.multifd.core.transport;
    exports io.multifd.core.transport.tls;
    exports io.multifd.core.inspect;

    uses PayloadPlugin;
    uses Codec;

    provides Codec with io.multifd.core.codec.NoneCodec;
}
