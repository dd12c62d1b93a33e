import random
import re

import pytest

from shared.domain.reference import ALPHABET, InvalidReference, new_reference, normalise_reference


def test_references_have_a_prefix_two_groups_and_a_check_character():
    reference = new_reference("RF")
    assert re.fullmatch(r"RF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", reference)
    assert normalise_reference(reference) == reference


def test_references_are_random_not_sequential():
    references = {new_reference("RF") for _ in range(2000)}
    assert len(references) == 2000


def test_a_seeded_generator_gives_the_same_references():
    assert new_reference("CS", random.Random(7).randrange) == new_reference("CS", random.Random(7).randrange)


def test_typed_references_are_forgiving_about_case_separators_and_look_alike_letters():
    reference = new_reference("SN", lambda n: 0)  # body 0000000
    assert reference.startswith("SN-0000-000")
    assert normalise_reference(reference.lower().replace("-", " ").replace("0", "o")) == reference


def test_every_single_character_mistake_is_caught():
    reference = new_reference("RF", random.Random(1).randrange)
    compact = reference.replace("-", "")
    for position in range(2, len(compact)):
        for char in ALPHABET:
            if char == compact[position]:
                continue
            typo = compact[:position] + char + compact[position + 1 :]
            with pytest.raises(InvalidReference):
                normalise_reference(typo)


def test_swapping_two_neighbouring_characters_is_caught_except_0_with_z():
    rng = random.Random(2)
    missed = set()
    for _ in range(500):
        compact = new_reference("RF", rng.randrange).replace("-", "")
        for position in range(2, len(compact) - 1):
            a, b = compact[position], compact[position + 1]
            if a == b:
                continue
            swapped = compact[:position] + b + a + compact[position + 2 :]
            try:
                normalise_reference(swapped)
            except InvalidReference:
                continue
            missed.add(frozenset((a, b)))
    assert missed <= {frozenset("0Z")}


@pytest.mark.parametrize("typed", ["", "RF-1234", "RF-1234-5678-9", "RF-12U4-5678"])
def test_malformed_references_are_refused(typed):
    with pytest.raises(InvalidReference, match="Enter the reference exactly as it was given to you"):
        normalise_reference(typed)
