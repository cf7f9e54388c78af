"""The CSV loader against a corpus of awkward and broken files, plus fuzzing."""

import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core.loader as loader
from core.datasets import Dataset
from core.loader import DataError, Table, default_columns, read_table, to_dataset

CORPUS = Path(__file__).resolve().parent / "csv_corpus"
ROOT = Path(__file__).resolve().parent.parent


def ok(shape, columns, dropped=0, **attributes):
    return {"shape": shape, "columns": columns, "dropped": dropped, **attributes}


# file name -> expected Table (shape, numeric columns, dropped rows, other attributes)
#           or the word that the DataError message must contain
EXPECTED: dict[str, dict | str] = {
    "good_comma.csv": ok((20, 3), ["x1", "x2", "y"], delimiter=",", has_header=True),
    "semicolon.csv": ok((12, 3), ["Länge", "Breite", "Fläche"], delimiter=";"),
    "tab.tsv": ok((10, 3), ["height", "weight", "age"], delimiter="\t"),
    "no_header.csv": ok((8, 3), ["column 1", "column 2", "column 3"], has_header=False),
    "utf8_bom.csv": ok((6, 3), ["temperature", "pressure", "volume"], encoding="utf-8-sig"),
    "latin1.csv": ok((7, 3), ["durée", "vitesse", "coût"], encoding="latin-1"),
    "utf16_excel.txt": ok((6, 3), ["a", "b", "c"], encoding="utf-16", delimiter="\t"),
    "utf16le_nobom.csv": ok(
        (6, 3), ["température", "pression", "volume"], encoding="utf-16-le", delimiter=","
    ),
    "utf16be_nobom.csv": ok(
        (6, 3), ["height", "weight", "größe"], encoding="utf-16-be", delimiter=";"
    ),
    "excel_sep_hint.csv": ok((5, 2), ["x", "y"], delimiter=";"),
    "leading_blank_lines.csv": ok((5, 2), ["x", "y"]),
    "crlf_trailing_delimiters.csv": ok((5, 2), ["x", "y"]),
    "padded_whitespace.csv": ok((5, 2), ["x", "y"]),
    "exponent_notation.csv": ok((5, 2), ["x", "y"]),
    "quoted_numbers.csv": ok((5, 2), ["x", "y"], non_numeric_columns=("note",)),
    "missing_values.csv": ok((6, 3), ["x1", "x2", "y"], dropped=3),
    "junk_cells.csv": ok((10, 2), ["x", "y"], dropped=2),
    "infinities.csv": ok((5, 2), ["x", "y"], dropped=3),
    "mixed_text_columns.csv": ok(
        (6, 3), ["price", "age", "mileage"], non_numeric_columns=("model", "colour")
    ),
    "boolean_column.csv": ok((5, 2), ["x", "y"], non_numeric_columns=("flag",)),
    "mostly_missing_column.csv": ok((6, 2), ["x", "y"], sparse_columns=("sparse",)),
    "duplicate_headers.csv": ok((5, 5), ["a", "a (3)", "a (2)", "y", "y (2)"]),
    "blank_header_cells.csv": ok((5, 3), ["column 1", "x", "y"]),
    "multiline_header.csv": ok((5, 2), ["height (cm)", "weight"]),
    "long_header.csv": ok((5, 2), ["v" * 99 + "…", "y"]),
    "html_in_header.csv": ok((5, 3), ["<script>alert(1)</script>", "<b>bold</b>", "y"]),
    "formula_cells.csv": ok(
        (10, 2),
        ["x", "y"],
        dropped=1,
        non_numeric_columns=('=HYPERLINK("http://example.invalid","click")',),
    ),
    "empty.csv": "empty",
    "whitespace_only.csv": "empty",
    "header_only.csv": "no data rows",
    "single_column.csv": "Only one column",
    "all_text.csv": "No column contains numbers",
    "html_page.csv": "No column contains numbers",
    "three_rows.csv": ok((3, 2), ["x", "y"]),
    "no_complete_row.csv": "too few rows",
    "huge_magnitudes.csv": "too large",
    "ragged.csv": "Line 4 has 4 values",
    "unterminated_quote.csv": "never closed",
    "binary_junk.bin": "binary",
    "image_renamed.csv": "PNG image",
    "excel_renamed.csv": "Excel",
    "pdf_renamed.csv": "PDF",
}


def test_every_corpus_file_has_an_expectation():
    files = [p.name for p in CORPUS.iterdir() if p.name not in ("README.md", ".gitattributes")]
    assert sorted(files) == sorted(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file(name):
    raw = (CORPUS / name).read_bytes()
    expected = EXPECTED[name]
    if isinstance(expected, str):
        with pytest.raises(DataError, match=expected) as caught:
            read_table(raw)
        message = str(caught.value)
        assert 20 < len(message) < 400 and "Traceback" not in message
        return
    table = read_table(raw)
    assert table.frame.shape == expected["shape"]
    assert list(table.frame.columns) == expected["columns"]
    assert table.dropped_rows == expected["dropped"]
    for attribute in ("delimiter", "encoding", "has_header", "non_numeric_columns"):
        if attribute in expected:
            assert getattr(table, attribute) == expected[attribute]
    if "sparse_columns" in expected:
        assert table.sparse_columns == expected["sparse_columns"]
    _assert_clean(table)


def _assert_clean(table: Table) -> None:
    frame = table.frame
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert all(type(name) is str for name in frame.columns)
    assert frame.columns.is_unique
    assert np.isfinite(frame.to_numpy()).all()
    assert list(frame.index) == list(range(len(frame)))


def test_semicolon_file_reads_decimal_commas_as_numbers():
    table = read_table((CORPUS / "semicolon.csv").read_bytes())
    assert table.frame["Länge"].iloc[1] == pytest.approx(0.1)
    assert table.frame["Breite"].iloc[1] == pytest.approx(0.33)


def test_values_are_read_exactly():
    table = read_table((CORPUS / "exponent_notation.csv").read_bytes())
    assert table.frame["x"].tolist() == [1e-3, -42.0, 0.5, 7.0, 1e5]
    assert table.frame["y"].tolist() == [250.0, 1.0, -0.25, 3.0, -1e-5]


def test_missing_value_rows_are_the_ones_dropped():
    table = read_table((CORPUS / "missing_values.csv").read_bytes())
    assert table.frame["x1"].tolist() == [1.0, 7.0, 13.0, 19.0, 22.0, 25.0]


def test_formulas_are_never_evaluated():
    table = read_table((CORPUS / "formula_cells.csv").read_bytes())
    # the row whose x is "=2+2" is dropped as junk; it is not read as 4
    assert table.frame["x"].tolist() == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11]
    assert 14.0 not in table.frame["y"].tolist()


def test_notes_explain_what_was_left_out():
    notes = " ".join(read_table((CORPUS / "mixed_text_columns.csv").read_bytes()).notes)
    assert "“model”" in notes and "“colour”" in notes
    notes = " ".join(read_table((CORPUS / "blank_header_cells.csv").read_bytes()).notes)
    assert "empty column" in notes
    notes = " ".join(read_table((CORPUS / "junk_cells.csv").read_bytes()).notes)
    assert "Dropped 2 row(s)" in notes


def test_too_few_rows_after_dropping_names_the_worst_column():
    raw = b"a,b,c\n1,,3\n4,,6\n,8,9\n10,11,\n13,14,\n"
    with pytest.raises(DataError, match="too few rows") as caught:
        read_table(raw)
    assert "“b”" in str(caught.value)


def test_row_limit_is_refused_not_truncated():
    raw = (CORPUS / "good_comma.csv").read_bytes()
    assert read_table(raw, max_rows=20).frame.shape == (20, 3)
    with pytest.raises(DataError, match="more than 19 data rows"):
        read_table(raw, max_rows=19)


def test_byte_limit():
    raw = (CORPUS / "good_comma.csv").read_bytes()
    with pytest.raises(DataError, match="MB limit"):
        read_table(raw, max_bytes=len(raw) - 1)
    assert read_table(raw, max_bytes=len(raw)).frame.shape == (20, 3)


def test_upload_limit_is_streamlits_own_number_and_unit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == loader.MAX_UPLOAD_MB
    # Streamlit's server refuses a body over maxUploadSize * 1024 * 1024 bytes
    assert loader.MAX_BYTES == loader.MAX_UPLOAD_MB * 1024 * 1024


def test_upload_limit_message_names_the_limit_in_mb():
    raw = b"1" * (loader.MAX_BYTES + 1)  # one byte over the limit
    with pytest.raises(DataError) as caught:
        read_table(raw)
    message = str(caught.value)
    # never "50.0 MB, over the 50 MB limit": the size shown is above the limit shown
    assert message.startswith("The file is 50.1 MB, over the 50 MB limit")
    with pytest.raises(DataError, match="line break"):
        read_table(raw[:-1])  # at the limit: not refused for its size


def test_column_limit():
    header = ",".join(f"c{i}" for i in range(loader.MAX_COLUMNS + 1))
    with pytest.raises(DataError, match="columns"):
        read_table(f"{header}\n".encode())


def test_accepts_bytearray_and_memoryview_but_not_text():
    raw = (CORPUS / "good_comma.csv").read_bytes()
    assert read_table(bytearray(raw)).frame.shape == (20, 3)
    assert read_table(memoryview(raw)).frame.shape == (20, 3)
    with pytest.raises(TypeError):
        read_table(raw.decode())


def test_unexpected_errors_become_data_errors(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something deep inside pandas")

    monkeypatch.setattr(pd, "read_csv", broken)
    with pytest.raises(DataError, match="Could not read this file as a table") as caught:
        read_table((CORPUS / "good_comma.csv").read_bytes())
    assert "something deep inside pandas" in str(caught.value)
    assert "CSV" in str(caught.value)


def test_binary_data_that_looks_like_utf16_is_still_refused():
    samples = np.arange(2_000, dtype="<i2") % 200  # e.g. 16-bit audio: every other byte is 0
    with pytest.raises(DataError, match="binary"):
        read_table(samples.tobytes())
    with pytest.raises(DataError, match="binary"):
        read_table(samples.astype(">i2").tobytes())


def test_utf16_without_bom_with_an_odd_byte_count_is_refused():
    raw = (CORPUS / "utf16le_nobom.csv").read_bytes() + b"1"
    with pytest.raises(DataError, match="binary"):
        read_table(raw)


@pytest.mark.parametrize("cells", ["1,2.5,", "1111111111", "abc;def\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le"])
def test_a_long_file_without_line_breaks_is_refused_before_parsing(cells, encoding):
    raw = (cells * (3_000_000 // len(cells))).encode(encoding)  # a few MB, one line
    start = time.perf_counter()
    with pytest.raises(DataError, match="no line break") as caught:
        read_table(raw)
    assert time.perf_counter() - start < 2.0
    message = str(caught.value)
    assert "64 KB" in message and "one row per line" in message and len(message) < 400


def test_a_short_one_line_file_gets_the_usual_message():
    with pytest.raises(DataError, match="no data rows"):
        read_table(b"a,b,c")


def test_a_long_file_with_line_breaks_is_read():
    raw = b"x,y\n" + b"".join(b"%d,%d\n" % (i, 2 * i) for i in range(20_000))
    assert len(raw) > 65_536
    assert read_table(raw).frame.shape == (20_000, 2)
    one_long_line = b"x," + b"1" * 70_000 + b"\n1,2\n"
    with pytest.raises(DataError, match="no line break"):
        read_table(one_long_line)


HOSTILE_NAME = "**bold** `code` [link](x)"


def _message(raw: bytes, target: str | None = None, features=()) -> str:
    try:
        table = read_table(raw)
        if target is None:
            return " ".join(table.notes)
        to_dataset(table, target, list(features), "test")
    except DataError as error:
        return str(error)
    raise AssertionError("expected a DataError")


def _csv(header: str, rows: list[str]) -> bytes:
    return (header + "\n" + "\n".join(rows) + "\n").encode()


NAMED_MESSAGES = {
    "to_dataset: no column": (_csv("x,y", [f"{i},{i}" for i in range(6)]), HOSTILE_NAME, ["x"]),
    "to_dataset: target is an input": (
        _csv(f"x,{HOSTILE_NAME}", [f"{i},{i}" for i in range(6)]),
        HOSTILE_NAME,
        ["x", HOSTILE_NAME],
    ),
    "only one numeric column": (_csv(f"{HOSTILE_NAME},t", [f"{i},a" for i in range(6)]), None),
    "too few rows, worst column": (
        _csv(f"x,{HOSTILE_NAME},z", ["1,,1", "2,,2", "3,,3", ",4,4", ",5,5", "6,6,"]),
        None,
    ),
    "values too large": (_csv(f"x,{HOSTILE_NAME}", [f"{i},1e200" for i in range(6)]), None),
    "notes: text columns": (
        _csv(f"x,y,{HOSTILE_NAME}", [f"{i},{i},a" for i in range(6)]),
        None,
    ),
    "notes: empty columns": (_csv(f"x,y,{HOSTILE_NAME}", [f"{i},{i}," for i in range(6)]), None),
    "notes: sparse columns": (
        _csv(f"x,y,{HOSTILE_NAME}", [f"{i},{i}," for i in range(5)] + ["5,5,1"]),
        None,
    ),
    "no numeric column, text columns listed": (_csv(f"{HOSTILE_NAME},t", ["a,b"] * 6), None),
}


@pytest.mark.parametrize("case", sorted(NAMED_MESSAGES))
def test_names_in_messages_are_plain_text_in_curly_quotes(case):
    raw, target, *features = NAMED_MESSAGES[case]
    message = _message(raw, target, *features)
    assert f"“{HOSTILE_NAME}”" in message, message
    outside = message.replace(f"“{HOSTILE_NAME}”", "")
    for markup in ("`", "**", "'"):
        assert markup not in outside, (markup, message)


def test_loader_never_uses_pickle_or_eval():
    source = Path(loader.__file__).read_text()
    for word in ("pickle", "eval(", "exec(", "read_pickle"):
        assert word not in source


# --- choosing columns -------------------------------------------------------------------------


def _table(name: str = "good_comma.csv") -> Table:
    return read_table((CORPUS / name).read_bytes())


def test_default_columns_last_is_target_first_two_others_are_features():
    assert default_columns(_table("mixed_text_columns.csv")) == ("mileage", ["price", "age"])
    assert default_columns(_table("exponent_notation.csv")) == ("y", ["x"])
    assert default_columns(_table("duplicate_headers.csv")) == ("y (2)", ["a", "a (3)"])


def test_to_dataset_copies_the_chosen_columns():
    table = _table()
    data = to_dataset(table, "y", ["x2", "x1"], source="upload: good_comma.csv")
    assert isinstance(data, Dataset)
    assert data.feature_names == ("x2", "x1") and data.target_name == "y"
    np.testing.assert_array_equal(data.X[:, 0], table.frame["x2"].to_numpy())
    np.testing.assert_array_equal(data.y[:, 0], table.frame["y"].to_numpy())
    assert data.source == "upload: good_comma.csv"


@pytest.mark.parametrize(
    ("target", "features", "word"),
    [
        ("y", [], "between 1 and 4"),
        ("y", ["x1", "x2", "x1 ", "x2 ", "z"], "between 1 and 4"),
        ("y", ["x1", "y"], "cannot also be an input"),
        ("y", ["x1", "x1"], "only once"),
        ("nope", ["x1"], "no numeric column named “nope”"),
        ("y", ["x9"], "no numeric column named “x9”"),
    ],
)
def test_to_dataset_validates_the_choice(target, features, word):
    with pytest.raises(DataError, match=word):
        to_dataset(_table(), target, features, source="test")


def test_to_dataset_accepts_up_to_four_features():
    header = "a,b,c,d,e\n"
    rows = "".join(f"{i},{i * 2},{i % 3},{i % 5},{i * i}\n" for i in range(10))
    data = to_dataset(read_table((header + rows).encode()), "e", ["a", "b", "c", "d"], "test")
    assert data.X.shape == (10, 4)


# --- fuzzing: only a Table or a DataError, never anything else --------------------------------


def _table_or_data_error(raw: bytes) -> None:
    try:
        table = read_table(raw)
    except DataError as error:
        assert str(error)
        return
    assert isinstance(table, Table)
    assert table.frame.shape[0] >= loader.MIN_ROWS and table.frame.shape[1] >= 2
    _assert_clean(table)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2_000))
def test_random_bytes(raw):
    _table_or_data_error(raw)


cells = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["1", "-2.5", "1e308", "1e400", "nan", "inf", '"', '"a,b"', "", " ", "="]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
rows = st.lists(st.lists(cells, min_size=1, max_size=5), min_size=0, max_size=12)


@FUZZ
@given(rows, st.sampled_from([",", ";", "\t"]), st.sampled_from(["\n", "\r\n", "\r"]))
def test_random_csv_like_text(table_rows, delimiter, newline):
    text = newline.join(delimiter.join(row) for row in table_rows)
    for encoding in ("utf-8", "utf-16"):
        _table_or_data_error(text.encode(encoding, errors="surrogatepass"))


@FUZZ
@given(st.lists(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=4), min_size=5, max_size=30))
def test_well_formed_numeric_csv_round_trips(values):
    width = min(len(row) for row in values)
    rows = [row[:width] for row in values]
    text = "\n".join(",".join(repr(v) for v in row) for row in rows)
    table = read_table(text.encode())
    assert table.has_header is False and table.dropped_rows == 0
    np.testing.assert_array_equal(table.frame.to_numpy(), np.array(rows))
