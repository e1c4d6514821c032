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
 * Test only: a provider module with one payload plug-in and one codec, used to prove
 * that {@code io.multifd.core}'s registry finds plug-ins with {@link java.util.ServiceLoader} on the
 * module path (through {@code provides}) and on the class path (through {@code META-INF/services}).
 */
module io.multifd.testprovider {
    requires io.multifd.api;
    // Not needed by the providers themselves: it makes surefire put core on the module path too, so
    // that the module-path run exercises core's `uses` declarations as a named module.
    requires io.multifd.core;
    requires static com.google.auto.service;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.testprovider.EchoPayload;
    provides io.multifd.api.spi.Codec with io.multifd.testprovider.RunLengthCodec;
}
