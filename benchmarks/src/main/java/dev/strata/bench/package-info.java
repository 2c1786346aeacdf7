/**
 * JMH benchmarks of Strata's hot paths: layer ingest and index load on a real Debian image
 * layer, and the union engine's lookup, readdir and copy-up on generated layers (see
 * compare-pull.sh for the whole-system comparison with umoci).
 */
package dev.strata.bench;
