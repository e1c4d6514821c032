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
 * The codecs of multifd-java: codecs {@code zstd} (wire id 1), {@code lz4} (wire id 2)
 * and {@code zlib} (wire id 3), each safe on hostile input.
 *
 * <p>Put this module on the module path (or its jar on the class path) next to
 * {@code io.multifd.core} and select a codec by name in the configuration, e.g.
 * {@code MultiFdConfig.builder().codec("zstd", CodecOptions.level(3))}. The core's registry
 * finds the providers through {@link java.util.ServiceLoader}: this descriptor {@code provides}
 * them for the module path, and {@code META-INF/services/io.multifd.api.spi.Codec}
 * (written by auto-service) lists the same three classes for the class path.
 *
 * <p>Native libraries: zstd-jni and lz4-java extract and load their JNI libraries on first use.
 * On JDK 24 and later, grant them native access to silence the JDK's warning:
 * {@code --enable-native-access=com.github.luben.zstd_jni,org.lz4.java} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} on the class path. Only
 * {@code io.multifd.compress} is exported; the encoders and decoders live in a package of
 * their own that is not.
 */
module io.multifd.compress {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;
    requires com.github.luben.zstd_jni;
    requires org.lz4.java;

    exports io.multifd.compress;

    provides io.multifd.api.spi.Codec with
            io.multifd.compress.ZstdCodec,
            io.multifd.compress.Lz4Codec,
            io.multifd.compress.ZlibCodec;
}
