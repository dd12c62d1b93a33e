"""Matching new referrals against a large authority's children, beside an exact-key lookup in the same run.

    .venv/bin/python bench/matching.py [--children 200000] [--probes 1000] [--seed 20261123] [--database URL]

Generates `--children` children (fixed seed): common English names and names of the other communities of an
English town, some hyphenated surnames, middle and other names, families sharing a surname and a postcode,
twins (same surname, date of birth and postcode), UPNs for most; about one in twenty with an open case. They are
bulk-inserted with SQLAlchemy Core and their name keys written by `rebuild_name_keys`, into a SQLite database
built by the migrations and, when `--database` or TEST_DATABASE_URL names a PostgreSQL server, into a scratch
database created there and dropped afterwards.

Then `--probes` new referrals, as the CME team gets them: three in four about a child on record, with the noise
real reports carry (misspelt names, nicknames, first and last names swapped, one part of a hyphenated surname,
day and month of birth swapped, a day out, no date of birth, a new postcode, a UPN only now and then), and one in
four about a child nobody knows yet. Each is matched with `find_candidates` in its own session, timed; then the
same probes are looked up by UPN alone (`child_with_upn`, an indexed equality), timed the same way. Peaks are
tracemalloc's, in a separate run of each. Also printed: how often the right child came first and was proposed at
all, and how many new children got a candidate.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as bench/matching.py, the repository root is not on the path

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.notices import MIB, max_rss, scratch_database, traced_peak  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.domain.casework import CaseStatus  # noqa: E402
from shared.domain.reference import new_reference  # noqa: E402
from shared.models import Case, Child, ChildNameKey  # noqa: E402
from shared.queries.matching import child_with_upn  # noqa: E402
from shared.services.matching import THRESHOLD, Probe, find_candidates, rebuild_name_keys  # noqa: E402
from tests.bulk_files import upn  # noqa: E402


def words(text: str) -> list[str]:
    return text.split()


# Common names of English schoolchildren, of every community in a large town: earlier names are picked more often.
GIRLS = words(
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence Emily Ella Poppy Evie "
    "Elsie Charlotte Evelyn Sophie Daisy Sienna Alice Phoebe Matilda Ruby Harper Millie Elizabeth Eva Lucy Esme "
    "Jessica Chloe Maya Zara Hannah Amber Holly Katie Megan Rebecca Abigail Scarlett Nancy Maisie Aisha Fatima "
    "Maryam Zainab Amira Hafsa Khadija Aaliyah Inaaya Safa Anaya Priya Riya Simran Aanya Oliwia Zuzanna Julia Maja "
    "Hanna Amelie Ioana Maria Sofia Chidinma Amara Adaeze Folake Ngozi Precious Blessing Siobhan Niamh Aoife Roisin "
    "Catherine Katherine Kathryn Jennifer Victoria Alexandra Samantha Rose Leah Molly Ellie Bethany Jasmine Layla"
)
BOYS = words(
    "Muhammad Noah Oliver George Arthur Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie Theo Alfie "
    "Jacob Thomas Finley Arlo Lucas Isaac Tommy Edward Joshua James William Alexander Max Logan Samuel Daniel "
    "Joseph Benjamin Ethan Mason Harrison Dylan Riley Jake Matthew Nathan Callum Connor Liam Kai Reuben Toby "
    "Mohammed Mohammad Ahmed Ali Yusuf Ibrahim Omar Hamza Ayaan Zayn Adam Bilal Hassan Arjun Aarav Krish Rohan "
    "Jakub Kacper Szymon Antoni Filip Aleksander Andrei David Chidi Emeka Tunde Oluwaseun Kwame Kofi Femi Sean "
    "Ciaran Patrick Declan Stephen Steven Jonathan Christopher Michael Robert Richard Anthony Jayden Tyler Kieran"
)
SURNAMES = words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright Walker "
    "White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill Ward Morris "
    "Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett "
    "Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards "
    "Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray "
    "Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker "
    "Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews "
    "Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley "
    "Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees "
    "Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons "
    "Hussein Shah Rahman Mahmood Akhtar Iqbal Chaudhry Malik Mirza Sharma Kumar Mistry Nowak Kowalski "
    "Wisniewski Wojcik Kaminski Lewandowski Popescu Ionescu Okafor Adeyemi Mensah Okonkwo Nwosu Boateng Asante "
    "Nguyen Chen Wang Li Zhang O'Connor O'Neill McDonald MacDonald McLaughlin Doherty Quinn Byrne Gallagher"
)
STREETS = ("Mill Lane", "Church Road", "High Street", "Station Road", "Park Avenue", "Orchard Street", "Victoria Road")
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
BORN_FROM, BORN_TO = date(2009, 9, 1), date(2021, 8, 31)  # school age now
OUTWARD_CODES = [f"NB{n}" for n in range(1, 24)]
SHORT_FORMS = {
    "William": "Bill",
    "Elizabeth": "Liz",
    "Alexander": "Alex",
    "Thomas": "Tom",
    "James": "Jim",
    "Samuel": "Sam",
    "Benjamin": "Ben",
    "Daniel": "Danny",
    "Joseph": "Joe",
    "Matthew": "Matt",
    "Jonathan": "Jon",
    "Christopher": "Chris",
    "Michael": "Mike",
    "Robert": "Bob",
    "Richard": "Dick",
    "Edward": "Ted",
    "Katherine": "Kate",
    "Catherine": "Cathy",
    "Rebecca": "Becky",
    "Jessica": "Jess",
    "Victoria": "Vicky",
    "Alexandra": "Alex",
    "Samantha": "Sam",
    "Charlotte": "Lottie",
    "Abigail": "Abby",
    "Jennifer": "Jenny",
    "Anthony": "Tony",
    "Stephen": "Steve",
    "Harrison": "Harry",
    "Henry": "Harry",
}


# Rarer surnames, as most families in a real town have: place names like Ashford, Oakley or Whitworth.
TAIL_STARTS = words(
    "Ash Brad Brom Carl Chad Craw Dar Elm Fair Farn Gold Hal Hart Hay Hol Kings Lang Lind Mar Mid New North Oak "
    "Pen Red Ring Rush Sand Shel South Stan Stock Thorn Wal Wes Whit Wick Win Bur Cal"
)
TAIL_ENDS = words(
    "ford ley ton field worth wood by ham well more dale hurst brook combe stead wick ridge cott shaw croft"
)
TAIL = [start + end for start in TAIL_STARTS for end in TAIL_ENDS]
COMMON_SURNAME_SHARE = 0.65  # the rest of the families have one of the rarer surnames


class Names:
    """Names picked as often as a Zipf law with an offset says: the commonest of 100 about six times as often as
    the 50th, and given to about one child in 25 of its sex, as in a large English town's schools."""

    def __init__(self, names: list[str], offset: int = 10):
        self.names = names
        weights = [1 / (rank + offset) for rank in range(len(names))]
        self.cumulative = list(accumulate(weights))

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


FIRST_NAMES = {"F": Names(GIRLS), "M": Names(BOYS)}
COMMON_SURNAMES = Names(SURNAMES)


def surname(rng: random.Random) -> str:
    return COMMON_SURNAMES.pick(rng) if rng.random() < COMMON_SURNAME_SHARE else rng.choice(TAIL)


# Children ----------------------------------------------------------------------------------------------------------


def make_postcodes(rng: random.Random, count: int) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        found.add(
            f"{rng.choice(OUTWARD_CODES)} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        )
    return sorted(found)


def random_birthday(rng: random.Random) -> date:
    return BORN_FROM + timedelta(days=rng.randrange((BORN_TO - BORN_FROM).days + 1))


def make_children(count: int, seed: int) -> list[dict]:
    """Families of one to four children sharing a surname and a postcode (about four families to a postcode),
    about one birth in sixty twins, one surname in twenty hyphenated, one child in seven with a middle name and
    one in twenty-five known by another name; most with a UPN."""
    rng = random.Random(seed)
    postcodes = make_postcodes(rng, max(1, count // 8))
    children: list[dict] = []
    while len(children) < count:
        family_name = surname(rng)
        if rng.random() < 0.05:
            family_name = f"{family_name}-{surname(rng)}"
        postcode = rng.choice(postcodes)
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3, 4))):
            born = random_birthday(rng)
            for _ in range(2 if rng.random() < 1 / 60 else 1):  # twins share the birthday
                if len(children) == count:
                    break
                sex = rng.choice("FM")
                first = FIRST_NAMES[sex].pick(rng)
                while any(c["first_name"] == first and c["date_of_birth"] == born for c in children[-2:]):
                    first = FIRST_NAMES[sex].pick(rng)  # twins have two names
                number = len(children)
                children.append(
                    {
                        "upn": upn(number) if rng.random() < 0.85 else None,
                        "first_name": first,
                        "middle_names": FIRST_NAMES[sex].pick(rng) if rng.random() < 0.15 else None,
                        "last_name": family_name,
                        "other_names": f"{first} {surname(rng)}" if rng.random() < 0.04 else None,
                        "date_of_birth": born,
                        "sex": "female" if sex == "F" else "male",
                        "address_line_1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
                        "town": "Northbridge",
                        "postcode": postcode,
                        "looked_after": False,
                        "send_status": "unknown",
                        "vulnerable_groups": [],
                    }
                )
    return children


def load(engine, children: list[dict], seed: int) -> dict[str, float]:
    """Insert the children (Core, in batches), write their name keys, open a case for one in twenty."""
    timings = {}
    started = time.perf_counter()
    with engine.begin() as connection:
        for start in range(0, len(children), 10_000):
            connection.execute(insert(Child), children[start : start + 10_000])
    timings["insert children"] = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as connection:
        keys = rebuild_name_keys(connection)
    timings["write name keys"] = time.perf_counter() - started
    rng = random.Random(seed + 1)
    with engine.begin() as connection:
        ids = connection.execute(select(Child.id).order_by(Child.id)).scalars().all()
        cases = [
            {"reference": new_reference("CS", rng.randrange), "child_id": child_id, "status": CaseStatus.ENQUIRIES}
            for child_id in ids
            if rng.random() < 0.05
        ]
        connection.execute(insert(Case), cases)
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))  # as autovacuum would after a load this size
    timings["keys"] = keys
    timings["cases"] = len(cases)
    return timings


# Probes ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trial:
    probe: Probe
    child_index: int | None  # the child on record it is about, or None for a new child
    noise: str
    upn: str  # the child's UPN (a new one for a new child), for the exact-key baseline


def misspell(rng: random.Random, name: str) -> str:
    """One slip: a letter doubled, dropped, swapped with the next or replaced by one that sounds alike."""
    if len(name) < 4:
        return name + name[-1]
    at = rng.randrange(1, len(name) - 1)
    slip = rng.choice(("double", "drop", "swap", "vowel"))
    if slip == "double":
        return name[:at] + name[at] + name[at:]
    if slip == "drop":
        return name[:at] + name[at + 1 :]
    if slip == "swap":
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    vowels = "aeiouy"
    spots = [n for n in range(1, len(name)) if name[n] in vowels] or [at]
    spot = rng.choice(spots)
    return name[:spot] + rng.choice([v for v in vowels if v != name[spot]]) + name[spot + 1 :]


def make_trials(children: list[dict], postcodes: list[str], count: int, seed: int) -> list[Trial]:
    rng = random.Random(seed + 2)
    trials = []
    for number in range(count):
        if rng.random() < 0.25:
            sex = rng.choice("FM")
            probe = Probe(
                first_name=FIRST_NAMES[sex].pick(rng),
                last_name=surname(rng),
                date_of_birth=random_birthday(rng),
                postcode=rng.choice(postcodes),
            )
            trials.append(Trial(probe, None, "new child", upn(5_000_000 + number)))
            continue
        index = rng.randrange(len(children))
        child = children[index]
        first, last, born = child["first_name"], child["last_name"], child["date_of_birth"]
        noise = rng.choice(
            (
                "as recorded",
                "misspelt last name",
                "misspelt first name",
                "short first name",
                "names swapped",
                "one part of the surname",
                "day and month swapped",
                "birthday a day out",
                "no date of birth",
                "misspelt last name",
            )
        )
        if noise == "misspelt last name":
            last = misspell(rng, last)
        elif noise == "misspelt first name":
            first = misspell(rng, first)
        elif noise == "short first name":
            first = SHORT_FORMS.get(first, first[:3] if len(first) > 4 else first)
        elif noise == "names swapped":
            first, last = last, first
        elif noise == "one part of the surname":
            last = rng.choice(last.split("-"))
        elif noise == "day and month swapped" and born.day <= 12 and born.day != born.month:
            born = date(born.year, born.day, born.month)
        elif noise == "birthday a day out":
            born = born + timedelta(days=rng.choice((-1, 1)))
        elif noise == "no date of birth":
            born = None
        moved = rng.random() < 0.3  # the family has moved since the council last heard
        probe = Probe(
            upn=child["upn"] if child["upn"] and rng.random() < 0.1 else None,  # a professional's report, or a notice
            first_name=first,
            last_name=last,
            date_of_birth=born,
            postcode=rng.choice(postcodes) if moved else child["postcode"],
        )
        trials.append(Trial(probe, index, noise, child["upn"] or upn(6_000_000 + number)))
    return trials


# Measuring ---------------------------------------------------------------------------------------------------------


@dataclass
class Timing:
    samples: list[float]  # seconds, one per probe
    peak: int

    def ms(self, quantile: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(quantile * (len(ordered) - 1)))] * 1000

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.samples) * 1000


def each_timed(engine, trials: list[Trial], work: Callable[[Session, Trial], object]) -> tuple[list[float], list]:
    samples, results = [], []
    gc.collect()
    for trial in trials:
        started = time.perf_counter()
        with Session(engine) as session:
            results.append(work(session, trial))
        samples.append(time.perf_counter() - started)
    return samples, results


def run(label: str, url_or_server: str | None, children, postcodes, trials, seed) -> tuple[list[str], dict]:
    lines = []
    with scratch_database(url_or_server) as url:
        engine = make_engine(url)
        try:
            loaded = load(engine, children, seed)
            with Session(engine) as session:
                stored = session.scalar(select(func.count()).select_from(Child))
                keys = session.scalar(select(func.count()).select_from(ChildNameKey))
            lines.append(
                f"{label}: {stored:,} children inserted in {loaded['insert children']:.1f} s, {keys:,} name keys "
                f"written in {loaded['write name keys']:.1f} s, {loaded['cases']:,} open cases"
            )
            ids = _child_ids(engine)

            def match(session: Session, trial: Trial):
                return [c.child.id for c in find_candidates(session, trial.probe)]

            def exact(session: Session, trial: Trial):
                found = child_with_upn(session, trial.upn)
                return found.id if found else None

            each_timed(engine, trials[:50], match)  # warm the caches as a running service's would be
            match_samples, proposed = each_timed(engine, trials, match)
            exact_samples, _ = each_timed(engine, trials, exact)
            matching = Timing(match_samples, traced_peak(lambda: each_timed(engine, trials, match)))
            baseline = Timing(exact_samples, traced_peak(lambda: each_timed(engine, trials, exact)))
            quality = _quality(trials, proposed, ids)
        finally:
            engine.dispose()
    return lines, {"label": label, "matching": matching, "baseline": baseline, "quality": quality, "rss": max_rss()}


def _child_ids(engine) -> list[int]:
    with engine.connect() as connection:
        return connection.execute(select(Child.id).order_by(Child.id)).scalars().all()


def _quality(trials: list[Trial], proposed: list[list[int]], ids: list[int]) -> dict[str, str]:
    known = [(t, p) for t, p in zip(trials, proposed, strict=True) if t.child_index is not None]
    new = [p for t, p in zip(trials, proposed, strict=True) if t.child_index is None]
    first = sum(1 for t, p in known if p and p[0] == ids[t.child_index])
    anywhere = sum(1 for t, p in known if ids[t.child_index] in p)
    by_noise: dict[str, list[int]] = {}
    for trial, found in known:
        hit = by_noise.setdefault(trial.noise, [0, 0])
        hit[0] += 1
        hit[1] += ids[trial.child_index] in found
    return {
        "known": f"{len(known)} about children on record: right child first {first} ({first / len(known):.1%}), "
        f"proposed at all {anywhere} ({anywhere / len(known):.1%}); "
        f"{sum(len(p) for _, p in known) / len(known):.1f} candidates each on average",
        "new": f"{len(new)} about new children: {sum(1 for p in new if p)} had a candidate at or above "
        f"{THRESHOLD} (siblings, namesakes), {sum(len(p) for p in new) / max(1, len(new)):.1f} on average",
        "noise": "; ".join(f"{noise} {hit}/{total}" for noise, (total, hit) in sorted(by_noise.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--probes", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--database",
        default=os.environ.get("TEST_DATABASE_URL"),
        help="a PostgreSQL server to run on as well (a scratch database is made and dropped); TEST_DATABASE_URL "
        "by default",
    )
    args = parser.parse_args()
    if args.database and not make_url(args.database).drivername.startswith("postgres"):
        parser.error("--database must be a PostgreSQL server's URL")

    started = time.perf_counter()
    children = make_children(args.children, args.seed)
    postcodes = sorted({child["postcode"] for child in children}) + make_postcodes(random.Random(args.seed + 3), 2_000)
    trials = make_trials(children, postcodes, args.probes, args.seed)
    # The generated rows are not part of what a service holds: keep the collector from walking them mid-probe
    # (a full collection over them takes a few hundred milliseconds, and would be timed as a slow match).
    gc.collect()
    gc.freeze()
    print(
        f"{len(children):,} children generated in {time.perf_counter() - started:.1f} s "
        f"({sum(1 for c in children if '-' in c['last_name']):,} with hyphenated surnames, "
        f"{len({c['postcode'] for c in children}):,} postcodes); {len(trials):,} referrals to match"
    )
    results = []
    for label, server in (("SQLite", None), ("PostgreSQL", args.database)):
        if label == "PostgreSQL" and not server:
            continue
        lines, result = run(label, server, children, postcodes, trials, args.seed)
        print("\n".join(lines))
        results.append(result)

    header = (
        f"{'database':<12}{'lookup':<28}{'p50 ms':>8}{'p99 ms':>8}{'mean ms':>9}{'max ms':>8}"
        f"{'peak MiB':>10}{'p50 ratio':>11}{'p99 ratio':>11}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        matching, baseline = result["matching"], result["baseline"]
        for name, timing in (("find_candidates", matching), ("exact UPN (baseline)", baseline)):
            print(
                f"{result['label']:<12}{name:<28}{timing.ms(0.5):>8.2f}{timing.ms(0.99):>8.2f}"
                f"{timing.mean_ms:>9.2f}{timing.ms(1.0):>8.2f}{timing.peak / MIB:>10.1f}"
                f"{timing.ms(0.5) / baseline.ms(0.5):>11.1f}{timing.ms(0.99) / baseline.ms(0.99):>11.1f}"
            )
    print(
        "Per probe, each in its own session. ratio = that lookup's time / the exact UPN lookup's in the same run. "
        "Peak: tracemalloc over all the probes, a separate run."
    )
    for result in results:
        quality = result["quality"]
        print(f"{result['label']}: {quality['known']}")
        print(f"{result['label']}: {quality['new']}")
        print(f"{result['label']}: proposed by kind of noise: {quality['noise']}")
        print(f"{result['label']}: max RSS {result['rss'] / MIB:.0f} MiB")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
