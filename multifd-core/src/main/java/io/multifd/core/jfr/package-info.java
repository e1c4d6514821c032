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
 * The engine's JDK Flight Recorder events, all in category {@code multifd}:
 * {@code io.multifd.Migration}, {@code io.multifd.Round}, {@code io.multifd.Sync},
 * {@code io.multifd.ChannelBlocked} and {@code io.multifd.ConnectionRefused}. Internal: a
 * recording names them by these strings, not by class. When no recording is running, an event
 * costs a check of {@code isEnabled()}; nothing is allocated on the per-packet path.
 */
package io.multifd.core.jfr;
