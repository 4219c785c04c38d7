import pytest

from workbench.core.errors import InputError
from workbench.render.units import A4_PORTRAIT, describe, parse_length


@pytest.mark.parametrize("text, points", [
    ("16cm", 453.5433), ("160 mm", 453.5433), ("6.5in", 468.0), ("453pt", 453.0), ("16", 453.5433),
    ("16,5cm", 467.7165), ("6.5IN", 468.0),
])
def test_lengths_in_points(text, points):
    assert parse_length(text) == pytest.approx(points, abs=1e-3)


@pytest.mark.parametrize("text", ["", "wide", "16 furlongs", "-3cm", "0.5cm", "1000in", "16cm 2"])
def test_bad_lengths_say_what_is_accepted(text):
    with pytest.raises(InputError, match="width"):
        parse_length(text)


def test_describe_reads_back():
    assert describe(A4_PORTRAIT) == "16 cm"
    assert parse_length(describe(A4_PORTRAIT).replace(" ", "")) == pytest.approx(A4_PORTRAIT)
