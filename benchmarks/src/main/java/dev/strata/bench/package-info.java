/** JMH benchmarks of Strata's hot paths, run on a real Debian image layer (see compare-pull.sh for the whole-system comparison). */
package dev.strata.bench;
