"""A match model estimated twice from the same records is the same model, in any process.

``save_model`` tells a new model from the stored one by a digest of everything a weight
depends on; a float summed in the order of a set of strings differs in its last digit
between processes (the hash seed), and re-running ``ckb resolve`` on unchanged data in a
new process then stored a "new" model version."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from identity.model import word_shares
from identity.profile import profile
from tests.support.identity_fixtures import TODAY

ROOT = Path(__file__).resolve().parents[2]

# Names of four words drawn with uneven frequencies: the order in which a record's words
# are first counted is a set's, so it changes with the hash seed (as real names' do).
_SCRIPT = """
import random

from identity.model import estimate_model
from identity.model_store import model_digest
from identity.profile import profile
from tests.support.identity_fixtures import TODAY

rnd = random.Random(5)
words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676)}" for i in range(3000)]
profiles = []
for i in range(3000):
    name = " ".join(rnd.choice(words[: rnd.randint(5, 3000)]) for _ in range(4))
    profiles.append(profile(f"crm:{i}", {"name": name, "country": "DE"}, TODAY))
print(model_digest(estimate_model(profiles)))
"""


def _names(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return [f"g{rnd.randint(0, 300)} f{rnd.randint(0, rnd.randint(1, 2000))}" for _ in range(count)]


def test_shared_word_share_is_exact_whatever_the_order_of_the_records() -> None:
    names = _names(5000, 3)
    profiles = [profile(f"crm:{i}", {"name": n}, TODAY) for i, n in enumerate(names)]
    counts: dict[str, int] = {}
    for p in profiles:
        for word in set(p.name_words):
            counts[word] = counts.get(word, 0) + 1
    exact = Fraction(sum(c * c for c in counts.values()), len(profiles) * sum(counts.values()))
    for order in (profiles, profiles[::-1], random.Random(9).sample(profiles, len(profiles))):
        shares, shared = word_shares(order)
        assert shared == float(exact)
        assert shares == {w: c / len(profiles) for w, c in counts.items() if w in shares}


def test_the_model_digest_is_the_same_under_another_hash_seed() -> None:
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        run = subprocess.run(
            [sys.executable, "-c", _SCRIPT],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        digests.add(run.stdout.strip())
    assert len(digests) == 1, digests
