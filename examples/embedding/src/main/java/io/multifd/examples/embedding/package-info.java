/*
 * Copyright The multifd-java authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
/**
 * Embedding multifd-java in a program: {@link io.multifd.examples.embedding.SenderExample} (RAM
 * and a device state, once or while the memory keeps changing),
 * {@link io.multifd.examples.embedding.ReceiverExample} (memory created from the sender's
 * manifest, device state collected) and {@link io.multifd.examples.embedding.EmbeddedMigration}
 * (both in one JVM over loopback TCP). Small on purpose: the README quotes them.
 */
package io.multifd.examples.embedding;
