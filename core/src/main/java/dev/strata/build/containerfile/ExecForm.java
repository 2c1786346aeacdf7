package dev.strata.build.containerfile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.strata.image.json.ImageJson;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The exec form of RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME and HEALTHCHECK CMD: a JSON
 * array of strings, {@code ["executable", "param"]}.
 *
 * <p>Docker's rule, kept exactly because files depend on it both ways: text that starts with
 * {@code [} and is a valid JSON array, nothing after it, is the exec form, and must then hold only
 * strings; any other text, even {@code [ -f x ] && y} or a JSON array with a typo, is the shell
 * form.
 */
final class ExecForm {
  private ExecForm() {}

  /** The array's strings if the text is the exec form; empty if it is the shell form. */
  static Optional<List<String>> of(String text) {
    if (!Spaces.trimLeading(text).startsWith("[")) {
      return Optional.empty();
    }
    JsonNode array;
    try {
      // The shared mapper refuses trailing text after the array, as Go's json.Unmarshal does.
      array = ImageJson.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    List<String> strings = new ArrayList<>();
    for (JsonNode element : array) {
      if (!element.isTextual()) {
        throw new Malformed("the exec form must be a JSON array of strings only: " + Spaces.trim(text));
      }
      strings.add(element.textValue());
    }
    return Optional.of(List.copyOf(strings));
  }
}
