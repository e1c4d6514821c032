/**
 * The engine's JDK Flight Recorder events, all in category {@code multifd}:
 * {@code io.multifd.Migration}, {@code io.multifd.Round}, {@code io.multifd.Sync},
 * {@code io.multifd.ChannelBlocked} and {@code io.multifd.ConnectionRefused}. Internal: a
 * recording names them by these strings, not by class. When no recording is running, an event
 * costs a check of {@code isEnabled()}; nothing is allocated on the per-packet path.
 */
package io.multifd.core.jfr;
