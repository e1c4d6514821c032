/**
 * The RAM pages payload: {@link io.multifd.ram.RamBlock}s, zero-page detection, the
 * {@link io.multifd.ram.RamSaver} client with its own slot, {@link io.multifd.ram.DirtyBitmap}s
 * and the {@link io.multifd.ram.PreCopy} driver, and the {@link io.multifd.ram.RamPayload}
 * plug-in (wire id 1, name {@code ram}).
 *
 * <p>Only {@code io.multifd.ram} is exported: the plug-in and what users call. The encoder, the
 * receivers and the other wire code live in {@code io.multifd.ram.internal}, which is not.
 */
module io.multifd.ram {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;
    requires jdk.jfr;

    exports io.multifd.ram;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.ram.RamPayload;
}
