/**
 * Embedding multifd-java in a program: {@link io.multifd.examples.embedding.SenderExample} (RAM
 * and a device state, once or while the memory keeps changing),
 * {@link io.multifd.examples.embedding.ReceiverExample} (memory created from the sender's
 * manifest, device state collected) and {@link io.multifd.examples.embedding.EmbeddedMigration}
 * (both in one JVM over loopback TCP). Small on purpose: the README quotes them.
 */
package io.multifd.examples.embedding;
