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
 * The multifd engine: {@link io.multifd.core.MultiFdSender}, {@link io.multifd.core.MultiFdReceiver}
 * and the {@link io.multifd.core.PluginRegistry}. See {@code docs/protocol.md} for the wire format
 * and the README for an embedding guide.
 */
package io.multifd.core;
