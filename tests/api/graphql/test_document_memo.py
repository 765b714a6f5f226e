"""DocumentMemo answers only for the very objects it was told about, and forgets the oldest."""

from __future__ import annotations

from api.graphql.document_memo import DocumentMemo


def test_answers_for_the_same_objects_only() -> None:
    memo: DocumentMemo[int] = DocumentMemo()
    document, schema = ["query"], ["schema"]
    memo.put(7, document, schema)
    assert memo.get(document, schema) == 7
    assert memo.get(["query"], schema) is None  # equal, not the same object
    assert memo.get(document, ["schema"]) is None


def test_keeps_the_last_size_answers() -> None:
    memo: DocumentMemo[str] = DocumentMemo(size=2)
    first, second, third = ["a"], ["b"], ["c"]
    memo.put("a", first)
    memo.put("b", second)
    memo.put("c", third)
    assert memo.get(first) is None
    assert (memo.get(second), memo.get(third)) == ("b", "c")
