/** The OCI image model as immutable values: descriptors, manifests, indexes, configs, platforms. */
package dev.strata.image;
