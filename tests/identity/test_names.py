"""Name tokens, search keys and similarity (identity/names.py): pure, so tested alone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from identity.names import name_keys, name_similarity, name_tokens


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("王伟", ("wang", "wei")),
        ("王偉", ("wang", "wei")),  # traditional characters, same pinyin
        ("  WANG   Wei ", ("wang", "wei")),
        ("Ｊｏｈｎ　Ｓｍｉｔｈ", ("john", "smith")),  # full-width
        ("José Müller", ("jose", "muller")),
        ("O'Brien-Smith", ("o", "brien", "smith")),
        ("Anna 李", ("anna", "li")),
        ("", ()),
    ],
)
def test_tokens_romanise_and_fold(name: str, tokens: tuple[str, ...]) -> None:
    assert name_tokens(name) == tokens


def test_keys_survive_a_typo_in_a_long_word() -> None:
    assert set(name_keys("jhon smiht")) & set(name_keys("John Smith")) == {"smit", "smih"}
    assert "ang" not in name_keys("wang")  # short words keep no deletions
    assert "wangwei" in name_keys("王伟")
    assert "wangwei" in name_keys("Wei Wang")  # sorted run-together key
    assert name_keys("li") == ["li"]  # short words get no deletions


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("wang wei", "王伟", True),
        ("Wangwei", "王伟", True),
        ("王小明", "Xiaoming Wang", True),
        ("jhon smiht", "John Smith", True),
        ("Smith, John", "John Smith", True),
        ("wang", "王伟", True),  # every word of the text in the name
        ("wang wei", "Wang Li", False),
        ("john smith", "Joan Smythe-Davies", False),
    ],
)
def test_similarity(a: str, b: str, alike: bool) -> None:
    assert (name_similarity(a, b) >= 0.75) is alike


names = st.text(alphabet=st.sampled_from("abcdeéfghijklmnoxyz 王伟李明-'"), max_size=30)


@given(names, names)
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert name_similarity(a, b) == name_similarity(b, a)
    assert 0.0 <= name_similarity(a, b) <= 1.0


@given(names)
def test_a_name_is_like_itself_and_holds_its_tokens_as_keys(name: str) -> None:
    if name_tokens(name):
        assert name_similarity(name, name) == 1.0
        assert set(name_tokens(name)) <= set(name_keys(name))
