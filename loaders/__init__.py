"""Loaders: source files and pushed records into the graph (see the loaders issue)."""
