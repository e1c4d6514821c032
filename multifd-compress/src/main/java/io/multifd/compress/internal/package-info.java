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
