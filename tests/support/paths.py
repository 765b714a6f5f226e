"""Where tests find the repository, its docs, their own data and the shared real examples."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
TEST_DATA = REPO / "tests" / "data"
# Real EPCIS documents from GS1 and OpenEPCIS beside the repository; absent on a clone elsewhere.
SHARED_DATA = REPO.parent / "shared" / "data"
