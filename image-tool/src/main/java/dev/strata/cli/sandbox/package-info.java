/**
 * The sandbox {@code strata run} puts a container in, as podman's defaults make one: a user
 * namespace of its own (the union mount maps the image's ids into it), podman's capability
 * set, no new privileges, masked and read-only kernel paths, no network unless asked, the
 * image's user, containers-common's seccomp filter; written as an OCI runtime spec and run by runc.
 * Without root, {@code strata run} first runs itself again as root of a user namespace of its
 * own ({@link dev.strata.cli.sandbox.OwnUserNamespace}), where the container and its mount live.
 */
package dev.strata.cli.sandbox;
