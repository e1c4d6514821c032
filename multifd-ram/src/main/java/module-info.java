/**
 * The RAM pages payload: {@link io.multifd.ram.RamBlock}s, zero-page detection, the
 * {@link io.multifd.ram.RamSaver} client with its own slot, {@link io.multifd.ram.DirtyBitmap}s
 * and the {@link io.multifd.ram.PreCopy} driver, and the {@link io.multifd.ram.RamPayload}
 * plug-in (wire id 1, name {@code ram}).
 */
module io.multifd.ram {
    requires io.multifd.api;
    requires static com.google.auto.service;

    exports io.multifd.ram;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.ram.RamPayload;
}
