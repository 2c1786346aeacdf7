package dev.strata.union;

/** Where one layer holds a node: the layer's index in the stack (0 = top) and the path in it. */
record LowerRef(int layer, String path, LowerEntry entry) {}
