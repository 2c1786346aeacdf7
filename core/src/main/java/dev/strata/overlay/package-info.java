/**
 * The overlay rules every part of Strata reads and writes alike: the OCI image spec's whiteouts
 * and opaque markers, the kernel overlayfs's whiteout devices and xattrs, and what a layer hides
 * of the layers below ({@link dev.strata.overlay.Whiteouts}).
 */
package dev.strata.overlay;
