/**
 * The front end of {@code strata build}: reads a Containerfile (a Dockerfile by another name)
 * into stages of instructions as written ({@link dev.strata.build.containerfile.Containerfile}),
 * expands variables in their arguments by Docker's rules ({@link
 * dev.strata.build.containerfile.Substitution}) and decides which files of the build context an
 * ignore file leaves out ({@link dev.strata.build.containerfile.IgnoreRules}).
 *
 * <p>The syntax is Docker's (BuildKit's Dockerfile syntax 1), quirks included, since files are
 * written against Docker: what Docker reads reads the same here. Strata is stricter in a few
 * places, refusing at parse time what Docker lets through to fail or be ignored later: an ONBUILD
 * trigger that cannot parse, a RUN or CMD with no command, flags on STOPSIGNAL or on HEALTHCHECK
 * NONE. Heredocs are refused.
 */
package dev.strata.build.containerfile;
