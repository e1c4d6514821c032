package io.multifd.devicestate.internal;

import java.util.Objects;

/**
 * Identifies one device's state in a session: its id and instance. Immutable.
 *
 * @param id       the device id
 * @param instance the instance id (unsigned 32-bit on the wire)
 */
public record DeviceKey(String id, int instance) {

    /** Checks the id is present. */
    public DeviceKey {
        Objects.requireNonNull(id, "id");
    }

    @Override
    public String toString() {
        return DeviceStateWire.deviceName(id, instance);
    }
}
