/**
 * The device-state payload: many savers in parallel with RAM, in-order reassembly and per-device
 * loaders on the receiver. See {@link io.multifd.devicestate.DeviceStatePayload}.
 */
module io.multifd.devicestate {
    requires transitive io.multifd.api;
    requires static com.google.auto.service;

    exports io.multifd.devicestate;

    provides io.multifd.api.spi.PayloadPlugin with io.multifd.devicestate.DeviceStatePayload;
}
