from hypothesis import given
from hypothesis import strategies as st

from refurb import ids

numbers = st.integers(min_value=0, max_value=(1 << 45) - 1)


@given(numbers)
def test_every_id_is_valid_and_round_trips(n):
    asset = ids.format_id(n)
    assert ids.is_valid(asset)
    assert ids.normalize(asset.lower()) == asset
    assert ids.normalize(asset.replace("-", "")[2:]) == asset  # RF- may be left out


@given(numbers, st.integers(0, 9), st.integers(1, 31))
def test_any_single_typo_is_caught(n, pos, delta):
    body = ids.format_id(n).replace("-", "")[2:]
    value = ids.ALPHABET.index(body[pos])
    typo = body[:pos] + ids.ALPHABET[(value + delta) % 32] + body[pos + 1 :]
    assert not ids.is_valid(typo)


@given(numbers, st.integers(0, 8))
def test_any_adjacent_swap_is_caught(n, pos):
    body = ids.format_id(n).replace("-", "")[2:]
    if body[pos] == body[pos + 1]:
        return
    swapped = body[:pos] + body[pos + 1] + body[pos] + body[pos + 2 :]
    assert not ids.is_valid(swapped)


def test_confusable_letters_read_as_digits():
    asset = ids.make_id(123, 10)
    typed = asset.replace("0", "o").replace("1", "l")
    assert ids.normalize(typed) == asset


def test_near_misses_find_the_intended_id():
    asset = ids.make_id(98765, 4321)
    body = asset.replace("-", "")[2:]
    swapped = body[:3] + body[4] + body[3] + body[5:]
    if swapped != body:
        assert asset in ids.near_misses(swapped)


def test_ids_of_one_station_are_distinct_and_short():
    made = {ids.make_id(777, c) for c in range(5000)}
    assert len(made) == 5000
    assert all(len(a.replace("-", "")) == 12 and a.startswith("RF-") for a in made)
