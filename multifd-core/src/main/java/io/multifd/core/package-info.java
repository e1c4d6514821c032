/**
 * The multifd engine: {@link io.multifd.core.MultiFdSender}, {@link io.multifd.core.MultiFdReceiver}
 * and the {@link io.multifd.core.PluginRegistry}. See {@code docs/protocol.md} for the wire format
 * and the README for an embedding guide.
 */
package io.multifd.core;
