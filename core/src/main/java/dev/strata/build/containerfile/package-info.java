/**
 * Containerfiles (Dockerfiles) read as buildah and Docker read them: the parser ({@link
 * dev.strata.build.containerfile.Containerfile}: directives, continuations, comments, stages,
 * flags, exec and shell forms), variable substitution ({@link
 * dev.strata.build.containerfile.Substitution}) and {@code .containerignore}/{@code
 * .dockerignore} rules ({@link dev.strata.build.containerfile.IgnoreRules}). Nothing here runs a
 * step: {@link dev.strata.build.ContainerfileBuild} does.
 */
package dev.strata.build.containerfile;
