package dev.strata.image;

/** One step of an image's history; {@code emptyLayer} steps made no layer. */
public record History(String created, String createdBy, String author, String comment, boolean emptyLayer) {}
