package dev.strata.cli.sandbox;

import java.nio.file.Path;

/**
 * A host directory bind-mounted into a container: a volume's data, or a directory of the host
 * that {@code -v} names.
 *
 * @param source the host directory
 * @param destination the absolute path in the container (runc makes it if the image lacks it)
 * @param readOnly mounted read-only
 * @param volume a volume's data, mounted nosuid and nodev as podman mounts its volumes (a host
 *     directory keeps the host's flags: what it holds is the host's business)
 */
public record Bind(Path source, String destination, boolean readOnly, boolean volume) {}
