/** The {@code strata} command line (picocli): one class per command, shared options as mixins. */
package dev.strata.cli;
