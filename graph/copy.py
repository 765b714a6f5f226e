"""Copy a whole graph from one store to another through the store port (e.g. the embedded
demo graph into a running Neo4j: ``ckb copy --to neo4j://...``).

Every node, then every relationship, a page of keys at a time; the target's upserts are
its batched ``UNWIND $rows ... MERGE`` writes, so copying again changes nothing. With a
checkpoint file the copy records the last page it finished and a re-run continues after
it; the file is removed when the copy completes.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from graph.errors import CkbError
from graph.schema import schema
from graph.store import GraphStore, RelRow
from graph.walk import is_hub, pages, starts_relationships

Progress = Callable[[str, int, int], None]
Phase = Literal["nodes", "relationships"]


class CopyError(CkbError):
    """A copy that cannot run as asked."""


class CopyCheckpointError(CopyError):
    """A checkpoint file that cannot be used for this copy."""


@dataclass
class Checkpoint:
    source: str
    target: str
    phase: Phase = "nodes"
    label: str | None = None  # label of the page finished last
    after: str | None = None  # its last key
    nodes: int = 0
    relationships: int = 0


def _load(path: Path, source: str, target: str) -> Checkpoint:
    if not path.exists():
        return Checkpoint(source, target)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        found = Checkpoint(**raw)
    except (ValueError, TypeError) as exc:
        raise CopyCheckpointError(
            f"checkpoint {path} is unreadable ({exc}); remove it to copy from the start"
        ) from None
    if (found.source, found.target) != (source, target):
        raise CopyCheckpointError(
            f"checkpoint {path} is for a copy from {found.source} to {found.target}; "
            "remove it or name another checkpoint file"
        )
    return found


def _save(path: Path, point: Checkpoint) -> None:
    # Written aside and renamed: a copy killed mid-write leaves the previous checkpoint.
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(asdict(point)), encoding="utf-8")
    os.replace(temp, path)


def copy_graph(
    source: GraphStore,
    target: GraphStore,
    batch: int = 5000,
    checkpoint: Path | None = None,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Copy every node, then every relationship; returns (nodes, relationships) copied,
    those of an earlier interrupted run included when resuming from ``checkpoint``.
    Idempotent: copying again changes nothing on the target."""
    if batch < 1:
        raise CopyError(f"the copy's batch size must be at least 1, got {batch}")
    point = (
        _load(checkpoint, source.description, target.description)
        if checkpoint
        else Checkpoint(source.description, target.description)
    )
    run = _Copy(source, target, batch, checkpoint, progress, point)
    for label in run.labels:
        run.copy_nodes(label)
    if point.phase == "nodes":
        point.phase, point.label, point.after = "relationships", None, None
    for label in run.labels:
        run.copy_relationships(label)
    if checkpoint and checkpoint.exists():
        checkpoint.unlink()
    return point.nodes, point.relationships


@dataclass
class _Copy:
    """One copy under way: what it copies where, and how far it got (``point``)."""

    source: GraphStore
    target: GraphStore
    batch: int
    checkpoint: Path | None
    progress: Progress | None
    point: Checkpoint

    def __post_init__(self) -> None:
        self.model = schema()
        self.totals = self.source.counts()
        self.labels = list(self.model.labels)

    def start_after(self, phase: Phase, label: str) -> tuple[bool, str | None]:
        """Whether (phase, label) is still to do, and the key to resume after."""
        point, labels = self.point, self.labels
        order = ["nodes", "relationships"]
        if order.index(phase) != order.index(point.phase):
            return order.index(phase) > order.index(point.phase), None
        if point.label is None:
            return True, None
        done, current = labels.index(point.label), labels.index(label)
        if current != done:
            return current > done, None
        return True, point.after

    def finished(self, phase: Phase, label: str, after: str, done: int) -> None:
        """A page is copied: record it, and tell how far the label is."""
        self.point.phase, self.point.label, self.point.after = phase, label, after
        if self.checkpoint:
            _save(self.checkpoint, self.point)
        if self.progress:
            total = max(done, self.totals.nodes.get(label, 0))
            self.progress(f"{phase}: {label}", done, total)

    def copy_nodes(self, label: str) -> None:
        todo, after = self.start_after("nodes", label)
        if not todo:
            return
        key_name = self.model.node(label).key
        done = 0
        for page in pages(self.source, label, self.batch, after, with_relationships=False):
            rows = [{**page.nodes[k].props, key_name: k} for k in page.keys if k in page.nodes]
            self.target.upsert_nodes(label, rows)
            self.point.nodes += len(rows)
            done += len(page.keys)
            self.finished("nodes", label, page.last, done)

    def copy_relationships(self, label: str) -> None:
        """The relationships that start at ``label`` nodes."""
        todo, after = self.start_after("relationships", label)
        if not todo or not starts_relationships(self.model, label):
            return
        done = 0
        hub = is_hub(self.model, self.totals, label)
        for page in pages(self.source, label, self.batch, after, hub=hub):
            grouped: dict[tuple[str, str], list[RelRow]] = defaultdict(list)
            for edge in page.outgoing:
                grouped[(edge.type, edge.dst_label)].append(
                    RelRow(edge.src_key, edge.dst_key, edge.props)
                )
            for (rel_type, other), rel_rows in sorted(grouped.items()):
                self.target.upsert_relationships(rel_type, label, other, rel_rows)
                self.point.relationships += len(rel_rows)
            done += len(page.keys)
            self.finished("relationships", label, page.last, done)
