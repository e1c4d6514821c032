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
 * The encoders and decoders behind the codecs of {@code io.multifd.compress}, and their shared
 * plumbing: per-channel buffers ({@link io.multifd.compress.internal.AbstractPacketEncoder},
 * {@link io.multifd.compress.internal.AbstractPacketDecoder}), allocation-free gather and scatter
 * copies ({@link io.multifd.compress.internal.Buffers}), option checks
 * ({@link io.multifd.compress.internal.Options}) and the once-only native-library probe
 * ({@link io.multifd.compress.internal.NativeProbe}).
 *
 * <p>Not exported by the module: nothing here is API. Encoders and decoders are confined to one
 * channel thread; the static helpers are stateless.
 */
package io.multifd.compress.internal;
