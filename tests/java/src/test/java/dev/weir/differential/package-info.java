/**
 * Differential tests: each scenario is one client script, run against a reference Apache Kafka
 * (the kafka_2.13 jar pom.xml pins, started by bench/kafka-ref.sh) and against Weir, and what
 * the client observed on each (values, exception classes, error codes) must be equal. Exception
 * messages are carried but not compared: every observation, and each difference, is printed to
 * target/surefire-reports/*-output.txt (lines starting SAME or DIFFERENCE).
 *
 * <p>A difference is either a Weir bug, fixed with its test asserting equality, a known gap
 * (docs/KNOWN-GAPS.md) asserted as today's behaviour, or intended, listed under "Differences
 * from Kafka" in docs/PROTOCOL.md and asserted as it is.
 * Run: {@code mvn -q test -Dtest='dev.weir.differential.**'} with {@code WEIR_BIN} set.
 */
package dev.weir.differential;
