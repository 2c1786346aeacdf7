/**
 * Collections the JDK lacks, for tables that hold an entry per file a mount has handed out: a
 * boxed {@code HashMap<Long, V>} costs some 80 bytes an entry, which a walk of a million files
 * multiplies into the server's largest cost.
 */
package dev.strata.collect;
