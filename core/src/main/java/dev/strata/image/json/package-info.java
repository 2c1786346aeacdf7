/** The JSON wire format of OCI and Docker v2 manifests, indexes and configs (Jackson), and its translation to the model. */
package dev.strata.image.json;
