/**
 * The sandbox {@code strata run} puts a container in, as podman's defaults make one: a user
 * namespace of its own (the union mount maps the image's ids into it), podman's capability
 * set, no new privileges, masked and read-only kernel paths, no network unless asked, the
 * image's user, containers-common's seccomp filter; written as an OCI runtime spec and run by runc.
 */
package dev.strata.cli.sandbox;
