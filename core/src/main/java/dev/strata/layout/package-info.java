/**
 * The store on disk: a valid OCI image layout ({@code oci-layout}, {@code index.json},
 * {@code blobs/}) with Strata's layer indexes, file objects, staging area and locks beside it.
 */
package dev.strata.layout;
