/**
 * The device-state payload: many savers in parallel with RAM, in-order reassembly and per-device
 * loaders on the receiver. See {@link io.multifd.devicestate.DeviceStatePayload}.
 *
 * <p>Only {@code io.multifd.devicestate} is exported: the plug-in and what users call (the saver,
 * loaders, the loader factory). The encoder, the receiver and the wire format live in
 * {@code io.multifd.devicestate.internal}, which is not.
 */
module io.multifd.devicestate {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;

    exports io.multifd.devicestate;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.devicestate.DeviceStatePayload;
}
