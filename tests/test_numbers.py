import pytest

from tolltrace.numbers import Figure, apply_hedges, parse_figure


@pytest.mark.parametrize("text, value", [
    ("30 people", 30), ("1,200 Israeli deaths", 1200), ("1200", 1200), ("Ten children", 10),
    ("twenty-five", 25), ("one hundred and twenty", 120), ("1.2 million", 1_200_000), ("both", 2),
    ("Two people", 2), ("seven members", 7), ("another 15", 15), ("the 40 wounded", 40),
])
def test_exact_counts(text, value):
    assert parse_figure(text) == Figure(value, value, value)


@pytest.mark.parametrize("text, value, low, high", [
    ("dozens of its soldiers", 24, 24, 99), ("scores of people", 40, 40, 199), ("hundreds", 200, 200, 999),
    ("hundreds of thousands", 200_000, 200_000, 999_999), ("several others", 3, 3, 9),
    ("tens of others", 20, 20, 99),
])
def test_vague_quantifiers_follow_the_table(text, value, low, high):
    fig = parse_figure(text)
    assert (fig.value, fig.low, fig.high, fig.vague, fig.approximate) == (value, low, high, True, True)


def test_no_count_returns_none():
    assert parse_figure("civilians") is None


@pytest.mark.parametrize("hedges, low, high, approx", [
    (["At least"], 30, None, False),
    (["more than"], 31, None, False),
    (["nearly"], None, 30, True),
    (["up to"], None, 30, False),
    (["around"], None, None, True),
    ([], 30, 30, False),
    (["expected to rise"], 30, None, True),
])
def test_hedges_become_bounds(hedges, low, high, approx):
    fig = apply_hedges(parse_figure("30"), hedges)
    assert (fig.value, fig.low, fig.high, fig.approximate) == (30, low, high, approx)
