"""The embedded store: a graph in one SQLite file, the default adapter of the store port.

``store`` opens the file and puts the store together from its parts: ``file`` (what this
process may do with the file; SQLite's errors as StoreErrors), ``connections`` (the
writing and reading connections, transactions), ``writes``, ``reads``, ``traversal``,
``sql_reads`` (compiled reads) and ``rollups``. ``layout`` is the SQLite layout, ``texts``
the JSON texts rows keep properties in, ``upgrade`` converts a file of the first design.
"""

from graph.embedded.store import EmbeddedStore
from graph.embedded.texts import StagedNode, StagedRel, staged_texts

__all__ = ["EmbeddedStore", "StagedNode", "StagedRel", "staged_texts"]
