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
 * A seeded, deterministic fuzz driver for the normal test run: it mutates a seed corpus (the same
 * files a Jazzer fuzz test replays) a fixed number of times and feeds every mutant to a fuzz
 * target, failing on any throwable the target does not declare as the expected refusal and on any
 * input slower than a bound. The long, coverage-guided runs use Jazzer itself with the same
 * entry points.
 */
package io.multifd.testing.fuzz;
