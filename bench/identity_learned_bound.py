"""Whether information ckb's comparison levels leave out could reach further: a classifier
learned from the truth on raw pair features, on the grid's cells (ckb's own figures for
them: bench/identity_eval.py, bench/identity_ceiling.py).

    .venv/bin/python -m pip install --target /tmp/mlpkgs scikit-learn rapidfuzz
    PYTHONPATH=/tmp/mlpkgs .venv/bin/python bench/identity_learned_bound.py --level high

For each mode (dedup, link) and seed, a set of ``bench/identity_gen.py`` is loaded as
``bench/identity_ceiling.py`` loads it and its candidate pairs are both of ckb's blocking key
sets. Each pair gets ckb's level pattern (as a category) and some thirty raw features:
string similarities of the whole names and of each name word against each (so swapped
and replaced words show), the rarest shared word's frequency, the birth dates' year,
month and day agreement, swaps and digits apart, the address words' overlap, house number,
postcode, emails' and phones' edit distances, gender, same system. A gradient-boosted
classifier is trained on two seeds' pairs and tested on the third (leave one seed out).
Printed per test seed: pairwise precision, recall and F1 at the threshold that gave
precision 0.995 on the training pairs, and at the threshold best for the test seed itself
(an optimistic bound: it is chosen with the truth of the pairs it scores). Every true pair
counts in recall, never-compared ones too; pair completeness bounds it. scikit-learn and
rapidfuzz are not ckb dependencies: install them apart, as above.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    import numpy as np
    from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
    from sklearn.ensemble import HistGradientBoostingClassifier
except ImportError:  # pragma: no cover - bench tooling only
    sys.exit(__doc__)

from identity_ceiling import candidates
from identity_gen import LEVELS, Settings, generate

from identity.comparison import Comparer
from identity.profile import Profile

THRESHOLDS = [t / 100 for t in range(5, 100)]


def _jw(a: str | None, b: str | None) -> float:
    return -1.0 if not a or not b else float(JaroWinkler.similarity(a, b))


def _dl(a: str | None, b: str | None) -> float:
    return -1.0 if not a or not b else float(DamerauLevenshtein.distance(a, b))


def _word(words: tuple[str, ...], at: int) -> str | None:
    return words[at] if words else None


def _local(email: str | None) -> str | None:
    return email.split("@")[0] if email else None


def features(p: Profile, q: Profile, level: int, words: Counter[str], n: int) -> list[float]:
    """A pair's raw features, ckb's level pattern first."""
    w1, w2 = p.name_words, q.name_words
    best = [max((JaroWinkler.similarity(a, b) for b in w2), default=-1.0) for a in w1]
    shared = set(w1) & set(w2)
    row = [float(level), _jw(p.name_key, q.name_key), _jw(p.name, q.name)]
    row += [_jw(_word(w1, i), _word(w2, j)) for i, j in ((0, 0), (-1, -1), (0, -1), (-1, 0))]
    row += [min(best, default=-1.0), max(best, default=-1.0), len(w1), len(w2), len(shared)]
    row += [min((math.log(words[w] / n) for w in shared), default=0.0)]
    b1, b2 = p.birth_date, q.birth_date
    if b1 and b2 and len(b1) == 10 and len(b2) == 10:
        y1, m1, d1 = int(b1[:4]), int(b1[5:7]), int(b1[8:10])
        y2, m2, d2 = int(b2[:4]), int(b2[5:7]), int(b2[8:10])
        row += [abs(y1 - y2), m1 == m2, d1 == d2, m1 == d2 and d1 == m2, _dl(b1, b2)]
        row += [sum(a != b for a, b in zip(b1, b2, strict=True))]
    else:
        row += [-1.0] * 6
    a1, a2 = set(p.address), set(q.address)
    row += [len(a1 & a2) / len(a1 | a2) if a1 and a2 else -1.0]
    n1 = [t for t in p.address if t.isdigit()][:1]
    n2 = [t for t in q.address if t.isdigit()][:1]
    row += [float(n1 == n2) if n1 and n2 else -1.0]
    row += [float(p.postal == q.postal) if p.postal and q.postal else -1.0]
    row += [_dl(p.email, q.email), _jw(_local(p.email), _local(q.email)), _dl(p.phone, q.phone)]
    row += [float(p.gender == q.gender) if p.gender and q.gender else -1.0]
    row += [float(p.system == q.system)]
    return [float(v) for v in row]


def pairs_of(data: Path, work: Path) -> tuple[Any, Any, int]:
    """Features and truth of a set's candidate pairs, and its number of true pairs."""
    truth, profiles, firsts, seconds = candidates(data, work)
    n = len(profiles)
    levels = Comparer(profiles).codes(firsts, seconds)
    words = Counter(w for p in profiles for w in set(p.name_words))
    x = np.array(
        [
            features(profiles[i], profiles[j], level, words, n)
            for i, j, level in zip(firsts, seconds, levels, strict=True)
        ]
    )
    y = np.array(
        [
            truth.get(profiles[i].key) == truth.get(profiles[j].key)
            for i, j in zip(firsts, seconds, strict=True)
        ]
    )
    people = Counter(truth.values())
    return x, y, sum(c * (c - 1) // 2 for c in people.values())


def scores(linked: Any, y: Any, true_pairs: int) -> tuple[float, float, float]:
    found, wrong = int((linked & y).sum()), int((linked & ~y).sum())
    precision, recall = found / max(found + wrong, 1), found / max(true_pairs, 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--level", choices=LEVELS, default="high")
    parser.add_argument("--modes", nargs="+", default=["dedup", "link"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ckb-bound-") as tmp:
        work = Path(tmp)
        for mode in args.modes:
            sets = {}
            for seed in args.seeds:
                data = work / f"{mode}-{args.level}-{seed}"
                generate(data, Settings(mode=mode, level=args.level, records=5000, seed=seed))
                sets[seed] = pairs_of(data, work)
            # The level pattern as a category: the classifier takes codes below 255.
            patterns = sorted({code for x, _, _ in sets.values() for code in x[:, 0]})
            category = {code: i % 250 for i, code in enumerate(patterns)}
            for x, _, _ in sets.values():
                x[:, 0] = [category[code] for code in x[:, 0]]
            for seed, (x, y, true_pairs) in sets.items():
                x_train = np.vstack([sets[s][0] for s in sets if s != seed])
                y_train = np.concatenate([sets[s][1] for s in sets if s != seed])
                model = HistGradientBoostingClassifier(
                    max_iter=400, learning_rate=0.05, categorical_features=[0], random_state=0
                )
                model.fit(x_train, y_train)
                trained = model.predict_proba(x_train)[:, 1]
                chosen = next(
                    (t for t in THRESHOLDS if scores(trained >= t, y_train, 10**9)[0] >= 0.995),
                    0.5,
                )
                tested = model.predict_proba(x)[:, 1]
                p, r, f1 = scores(tested >= chosen, y, true_pairs)
                bp, br, bf1 = max(
                    (scores(tested >= t, y, true_pairs) for t in THRESHOLDS), key=lambda s: s[2]
                )
                print(
                    f"{mode}/{args.level} seed {seed}: pair completeness "
                    f"{int(y.sum()) / true_pairs:.4f}; at the training threshold {chosen:.2f} "
                    f"P {p:.4f} R {r:.4f} F1 {f1:.4f}; best threshold for this seed "
                    f"P {bp:.4f} R {br:.4f} F1 {bf1:.4f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
