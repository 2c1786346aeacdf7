package dev.strata.build;

import java.io.IOException;

/** Where the entries of a copy go: a layer's draft, or a union written through the engine. */
interface EntrySink {
  void put(String path, Draft.Node node) throws IOException;
}
