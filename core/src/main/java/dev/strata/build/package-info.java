/**
 * The library for image builders: make layers from host files or bytes ({@link
 * dev.strata.build.LayerBuilder}), change images with pure functions ({@link
 * dev.strata.build.Mutations}) or fluently ({@link dev.strata.build.ImageBuilder}), reproducibly
 * by default ({@link dev.strata.build.BuildOptions}: no wall clock, {@code SOURCE_DATE_EPOCH}),
 * and read and write them wherever images live through {@link dev.strata.transfer.ImageLocation}.
 */
package dev.strata.build;
