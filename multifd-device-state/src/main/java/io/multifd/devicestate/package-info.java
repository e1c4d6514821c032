/**
 * Device state over multifd: the {@link io.multifd.devicestate.DeviceStatePayload} plug-in (wire
 * id 2, name {@code device-state}), the thread-safe {@link io.multifd.devicestate.DeviceStateSaver}
 * on the sender, and per-device {@link io.multifd.devicestate.DeviceStateLoader}s on the receiver,
 * registered per device or made by a {@link io.multifd.devicestate.DeviceStateLoaderFactory}.
 *
 * <p>A device's state travels as buffers with indexes 0 to n-1, the last one flagged, on any
 * channel, in parallel with RAM and with other devices. The receiver restores the order from the
 * indexes (not from sync), feeds each device's loader on a load thread of its own, bounds the
 * memory it queues per device, and reports the migration complete only after every loader
 * completed. The wire layout is documented on {@link io.multifd.devicestate.DeviceStatePayload}.
 */
package io.multifd.devicestate;
