"""Reading an uploaded CSV file into a numeric table, without ever crashing.

`read_table` returns a `Table` or raises `DataError`, whose message is one or two plain
sentences meant for the person who uploaded the file. Nothing in a file is ever evaluated:
cells are parsed as text by pandas and converted to numbers, never run as formulas or code.
Messages and notes quote the file's own text (column names) as plain text in “…” quotes and
never wrap it in Markdown; the page escapes them when it shows them.

Rules, in order:

* over ``max_bytes`` bytes (Streamlit's own upload limit by default), or a known binary format
  (PNG, JPEG, GIF, PDF, ZIP/Excel, ...), or control bytes such as NUL: refused;
* text is decoded as UTF-8 (with or without a byte-order mark), UTF-16 when it starts with
  a UTF-16 byte-order mark or when the NUL bytes of its start fall on every other byte (UTF-16
  without a mark, little- or big-endian), and otherwise as latin-1;
* a file over 64 KB without a line break in its first 64 KB is refused before it is parsed:
  it cannot be a table of one row per line, and parsing it would take a lot of memory;
* an Excel ``sep=;`` first line is honoured; otherwise the delimiter (comma, semicolon or tab)
  is sniffed from the first lines; with semicolons or tabs a decimal comma (``1,5``) is read;
* the first row is a header unless every cell in it looks like a number (or is blank); without
  a header the columns are named "column 1", "column 2", ...;
* column names are plain strings: whitespace collapsed, at most 100 characters, blanks named
  "column N", duplicates suffixed " (2)", " (3)", ...;
* a column in which at least 80 % of the filled cells are numbers is numeric, the rest are
  reported in ``non_numeric_columns`` and left out; completely empty columns are ignored, and
  numeric columns filled in fewer than half of the rows are left out as ``sparse_columns``
  (otherwise they would drop most rows of the table);
* rows with a missing, non-numeric or infinite value in a numeric column are dropped and counted;
* more than ``max_rows`` data rows is refused (the file is not silently truncated).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.datasets import Dataset

MAX_ROWS = 1_000_000
# Streamlit's server.maxUploadSize in .streamlit/config.toml (a test keeps them equal). Streamlit
# counts its "MB" as 1024 * 1024 bytes on the server and shows the limit as "50MB".
MAX_UPLOAD_MB = 50
BYTES_PER_MB = 1024 * 1024
MAX_BYTES = MAX_UPLOAD_MB * BYTES_PER_MB
SAMPLE_CHARS = 65_536  # the start of the file that is checked for binary data and line breaks
UTF16_SNIFF_BYTES = 4_096
MAX_COLUMNS = 1_000
MIN_ROWS = 1  # the seed's formulas hold for any m ≥ 1: a worked example may have one row
MAX_FEATURES = 4
MAX_ABS_VALUE = 1e150
MAX_NAME_LENGTH = 100
NUMERIC_SHARE = 0.8
MIN_FILLED_SHARE = 0.5
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

_SAVE_AS_CSV = "Save it as a CSV file (plain text, values separated by commas) and upload that."
_UPLOAD_CSV = "Upload a CSV file instead (plain text, values separated by commas)."
_MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx)"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program (executable)"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?")
_MISSING = {"", "na", "n/a", "nan", "-nan", "null", "none", "#n/a", "inf", "-inf", "+inf"}
_SEP_LINE = re.compile(r"sep=([,;\t])[ ]*(?:\n|\Z)", re.IGNORECASE)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


class DataError(ValueError):
    """A file that cannot be used; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Table:
    """The numeric part of an uploaded table.

    ``frame`` has only float64 columns with plain string names and finite values, indexed
    0..n-1. ``notes`` are short remarks for the user (e.g. columns that were ignored).
    """

    frame: pd.DataFrame
    dropped_rows: int
    non_numeric_columns: tuple[str, ...]
    has_header: bool
    delimiter: str
    encoding: str
    sparse_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """The numeric column names, in file order."""
        return tuple(self.frame.columns)

    @property
    def n_rows(self) -> int:
        return len(self.frame)


def quoted(text: str) -> str:
    """User text (a column name) in a message: plain, between typographic quotes."""
    return f"“{text}”"


def read_table(raw: bytes, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> Table:
    """Parse uploaded bytes into a `Table`; any problem becomes a `DataError`."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"read_table expects bytes, got {type(raw).__name__}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_table(bytes(raw), max_rows, max_bytes)
    except DataError:
        raise
    except Exception as error:  # the boundary: nothing else may escape to the UI
        reason = _short_reason(error)
        message = f"Could not read this file as a table: {reason}. {_SAVE_AS_CSV}"
        raise DataError(message) from error


def default_columns(table: Table) -> tuple[str, list[str]]:
    """The last numeric column as target and the first two others as features."""
    columns = list(table.frame.columns)
    if len(columns) < 2:
        raise DataError("The table needs at least two numeric columns: a target and an input.")
    return columns[-1], columns[:-1][:2]


def to_dataset(table: Table, target: str, features: Sequence[str], source: str) -> Dataset:
    """Pick a target column and 1..4 feature columns of `table` as a `Dataset`."""
    columns = list(table.frame.columns)
    features = list(features)
    if not 1 <= len(features) <= MAX_FEATURES:
        raise DataError(
            f"Choose between 1 and {MAX_FEATURES} input columns (you chose {len(features)})."
        )
    for name in [target, *features]:
        if name not in columns:
            raise DataError(
                f"There is no numeric column named {quoted(name)}. "
                "Choose one of the listed columns."
            )
    if target in features:
        raise DataError(
            f"The target {quoted(target)} cannot also be an input. Remove it from the inputs."
        )
    if len(set(features)) != len(features):
        raise DataError("Each input column can be chosen only once. Remove the repeated column.")
    X = table.frame[features].to_numpy(dtype=np.float64)
    y = table.frame[[target]].to_numpy(dtype=np.float64)
    return Dataset(X=X, y=y, feature_names=tuple(features), target_name=target, source=source)


# --- the steps of read_table ------------------------------------------------------------------


def _read_table(raw: bytes, max_rows: int, max_bytes: int) -> Table:
    if len(raw) > max_bytes:
        raise DataError(_too_large_message(len(raw), max_bytes))
    text, encoding = _decode(raw)
    _require_line_breaks(text)
    text, delimiter = _strip_preamble(text)
    if not text.strip():
        raise DataError("The file is empty. Upload a CSV file with a header row and numbers.")
    delimiter = delimiter or _sniff_delimiter(text)
    decimal_comma = delimiter != ","
    first_row = _first_row(text, delimiter)
    if len(first_row) > MAX_COLUMNS:
        raise DataError(
            f"The file has {len(first_row):,} columns, over the limit of {MAX_COLUMNS:,}. "
            "Keep only the columns you need and upload again."
        )
    has_header = not all(_missing_or_number(cell, decimal_comma) for cell in first_row)
    if has_header:
        names = _clean_names(first_row)
    else:
        names = [f"column {i + 1}" for i in range(len(first_row))]
    frame = _parse(text, delimiter, names, has_header, max_rows)
    if len(frame) == 0:
        raise DataError("The file has a header row but no data rows. Add rows of numbers below it.")
    if len(frame) > max_rows:
        raise DataError(
            f"The file has more than {max_rows:,} data rows, which is the limit. "
            "Upload a sample of the rows instead."
        )
    return _numeric_table(frame, has_header, delimiter, encoding, decimal_comma)


def _too_large_message(size: int, max_bytes: int) -> str:
    """Sizes in Streamlit's MB; the size is rounded up, so it never reads as the limit itself."""
    mb = math.ceil(size / BYTES_PER_MB * 10) / 10
    return (
        f"The file is {mb:.1f} MB, over the {max_bytes / BYTES_PER_MB:g} MB limit. "
        "Upload a smaller file, for example a sample of the rows."
    )


def _decode(raw: bytes) -> tuple[str, str]:
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            advice = _SAVE_AS_CSV if "Excel" in kind else _UPLOAD_CSV
            raise DataError(f"This file looks like {kind}, not a CSV table. {advice}")
    utf16 = _utf16_without_bom(raw)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        utf16 = "utf-16"  # the codec reads the mark and drops it
    if utf16 is not None:
        try:
            text, encoding = raw.decode(utf16), utf16
        except UnicodeDecodeError:
            text, encoding = "\x00", utf16  # reported as binary below
    elif raw.startswith(codecs.BOM_UTF8):
        text, encoding = _decode_utf8_or_latin1(raw[len(codecs.BOM_UTF8) :], "utf-8-sig")
    else:
        text, encoding = _decode_utf8_or_latin1(raw, "utf-8")
    sample = text[:SAMPLE_CHARS]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > 0.01 * len(sample):
        raise DataError(f"This file is not plain text: it contains binary data. {_UPLOAD_CSV}")
    return text, encoding


def _utf16_without_bom(raw: bytes) -> str | None:
    """The codec of UTF-16 text without a byte-order mark ("utf-16-le" or "utf-16-be"), or None.

    Text in the ASCII range (digits, delimiters, most names) is a 0 byte next to a non-zero
    one, so in UTF-16 at least half of the odd (LE) or even (BE) bytes are 0 and almost none of
    the others. UTF-8 and latin-1 text has no 0 bytes at all; binary data that passes this test
    is still refused afterwards for its control characters.
    """
    head = raw[: min(len(raw), UTF16_SNIFF_BYTES) // 2 * 2]
    pairs = len(head) // 2
    if pairs < 2:
        return None
    zeros_even, zeros_odd = head[0::2].count(0), head[1::2].count(0)
    if zeros_odd >= 0.5 * pairs and zeros_even <= 0.05 * pairs:
        return "utf-16-le"
    if zeros_even >= 0.5 * pairs and zeros_odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _decode_utf8_or_latin1(raw: bytes, utf8_name: str) -> tuple[str, str]:
    try:
        return raw.decode("utf-8"), utf8_name
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _require_line_breaks(text: str) -> None:
    """A long file without a line break near its start is no table (and costly to parse)."""
    if len(text) <= SAMPLE_CHARS:
        return
    sample = text[:SAMPLE_CHARS]
    if "\n" not in sample and "\r" not in sample:
        raise DataError(
            f"The first {SAMPLE_CHARS // 1024} KB of the file contain no line break, so it is "
            "not a table with one row per line. Save the table as a CSV file (one row per line, "
            "values separated by commas) and upload that."
        )


def _strip_preamble(text: str) -> tuple[str, str | None]:
    """Normalise line endings, drop leading blank lines and an Excel ``sep=`` line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LEADING_BLANK_LINES.sub("", text)
    match = _SEP_LINE.match(text)
    if match is None:
        return text, None
    return _LEADING_BLANK_LINES.sub("", text[match.end() :]), match.group(1)


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines most consistently and into the most numbers."""
    lines = [line for line in text[:200_000].split("\n")[:200] if line.strip()]
    scores: dict[str, tuple[float, float, int]] = {}
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        width, count = Counter(len(row) for row in rows).most_common(1)[0]
        if width < 2:
            continue
        pattern = _NUMBER if delimiter == "," else _NUMBER_DECIMAL_COMMA
        cells = [cell.strip() for row in rows[1:] for cell in row if cell.strip()]
        numbers = sum(1 for cell in cells if pattern.fullmatch(cell) or _NUMBER.fullmatch(cell))
        scores[delimiter] = (count / len(rows), numbers / max(len(cells), 1), width)
    if not scores:
        return ","
    best = max(consistency for consistency, _, _ in scores.values())
    candidates = {d: s for d, s in scores.items() if s[0] >= 0.9 * best}
    return max(candidates, key=lambda d: candidates[d][1:])


def _first_row(text: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])


def _missing_or_number(cell: str, decimal_comma: bool) -> bool:
    cell = cell.strip()
    if cell.lower() in _MISSING or _NUMBER.fullmatch(cell):
        return True
    return bool(decimal_comma and _NUMBER_DECIMAL_COMMA.fullmatch(cell))


def _clean_names(cells: Sequence[str]) -> list[str]:
    """Plain, unique, non-empty names; a repeated name gets the first free " (k)" suffix."""
    cleaned = []
    for i, cell in enumerate(cells):
        name = " ".join(_CONTROL.sub("", str(cell)).split())
        if len(name) > MAX_NAME_LENGTH:
            name = name[: MAX_NAME_LENGTH - 1] + "…"
        cleaned.append(name or f"column {i + 1}")
    taken = set(cleaned)
    names: list[str] = []
    for name in cleaned:
        if name in names:
            k = 2
            while f"{name} ({k})" in taken:
                k += 1
            name = f"{name} ({k})"
            taken.add(name)
        names.append(name)
    return names


def _parse(
    text: str, delimiter: str, names: list[str], has_header: bool, max_rows: int
) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=0 if has_header else None,
            names=names,
            index_col=False,
            nrows=max_rows + 1,
            skipinitialspace=True,
            skip_blank_lines=True,
            engine="c",
            low_memory=False,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=names)
    except pd.errors.ParserError as error:
        raise DataError(_parser_message(str(error), delimiter)) from error


def _parser_message(detail: str, delimiter: str) -> str:
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", detail)
    if ragged:
        expected, line, saw = ragged.groups()
        return (
            f"Line {line} has {saw} values but the first row has {expected}. Make every row "
            f"have the same number of columns (look for an extra {DELIMITER_NAMES[delimiter]} "
            "or a missing quote) and upload again."
        )
    if "EOF inside string" in detail or "EOF while" in detail:
        start = re.search(r"starting at row (\d+)", detail)
        where = f" (it starts on line {int(start.group(1)) + 1})" if start else ""
        return (
            f'A quoted value is never closed{where}: a " opens a cell but no matching " ends it. '
            "Remove the stray quote or close it, then upload again."
        )
    return f"Could not split the file into rows and columns: {detail.strip()[:120]}. {_SAVE_AS_CSV}"


def _numeric_table(
    frame: pd.DataFrame, has_header: bool, delimiter: str, encoding: str, decimal_comma: bool
) -> Table:
    numeric: dict[str, pd.Series] = {}
    text_columns: list[str] = []
    empty_columns: list[str] = []
    sparse_columns: list[str] = []
    for name in frame.columns:
        values, filled, share = _to_numbers(frame[name], decimal_comma)
        if filled == 0:
            empty_columns.append(name)
        elif share < NUMERIC_SHARE:
            text_columns.append(name)
        elif values.notna().sum() < MIN_FILLED_SHARE * len(frame):
            sparse_columns.append(name)
        else:
            numeric[name] = values
    _require_two_numeric(list(numeric), text_columns)

    table = pd.DataFrame(numeric, dtype=np.float64)
    finite = np.isfinite(table.to_numpy()).all(axis=1)
    kept = table[finite].reset_index(drop=True)
    dropped = len(table) - len(kept)
    if len(kept) < MIN_ROWS:
        raise DataError(_too_few_rows_message(table, len(kept), dropped))
    _require_moderate_values(kept)

    notes = []
    if empty_columns:
        notes.append(f"Ignored {len(empty_columns)} empty column(s): {_list(empty_columns)}.")
    if text_columns:
        notes.append(f"Left out {len(text_columns)} text column(s): {_list(text_columns)}.")
    if sparse_columns:
        notes.append(
            f"Left out {len(sparse_columns)} column(s) with numbers in fewer than half of the "
            f"rows: {_list(sparse_columns)}."
        )
    if dropped:
        notes.append(f"Dropped {dropped:,} row(s) with a missing or non-numeric value.")
    return Table(
        frame=kept,
        dropped_rows=dropped,
        non_numeric_columns=tuple(text_columns),
        sparse_columns=tuple(sparse_columns),
        has_header=has_header,
        delimiter=delimiter,
        encoding=encoding,
        notes=tuple(notes),
    )


def _to_numbers(column: pd.Series, decimal_comma: bool) -> tuple[pd.Series, int, float]:
    """The column as float64 (NaN where not a number), its count of filled cells, numeric share."""
    if pd.api.types.is_bool_dtype(column):
        return column.astype(np.float64), int(column.notna().sum()), 0.0
    if pd.api.types.is_numeric_dtype(column):
        values = column.astype(np.float64)
        filled = int(values.notna().sum())
        return values, filled, 1.0
    cells = column.astype("string").str.strip()
    present = cells.notna() & (cells != "")
    values = pd.to_numeric(cells, errors="coerce").astype(np.float64)
    if decimal_comma:
        dotted = cells.str.replace(",", ".", regex=False)
        values = values.fillna(pd.to_numeric(dotted, errors="coerce").astype(np.float64))
    filled = int(present.sum())
    numbers = int((values.notna() & present).sum())
    return values, filled, numbers / filled if filled else 0.0


def _require_two_numeric(numeric: list[str], text_columns: list[str]) -> None:
    text = f" Text columns found: {_list(text_columns)}." if text_columns else ""
    if not numeric:
        raise DataError(
            "No column contains numbers, so there is nothing to train on. The network needs at "
            f"least two numeric columns: one to predict and one or more inputs.{text}"
        )
    if len(numeric) == 1:
        raise DataError(
            f"Only one column ({quoted(numeric[0])}) contains numbers. The network needs at "
            f"least two numeric columns: one to predict and one or more inputs.{text}"
        )


def _too_few_rows_message(table: pd.DataFrame, kept: int, dropped: int) -> str:
    message = (
        f"Only {kept} row(s) have a number in every numeric column: too few rows to train "
        f"(at least {MIN_ROWS} {'is' if MIN_ROWS == 1 else 'are'} needed)."
    )
    if dropped:
        bad = (~np.isfinite(table.to_numpy())).sum(axis=0)
        worst = table.columns[int(np.argmax(bad))]
        message += f" {dropped} row(s) were dropped, most often because of column {quoted(worst)}."
    return message


def _require_moderate_values(frame: pd.DataFrame) -> None:
    largest = frame.abs().max()
    for name, value in largest.items():
        if value > MAX_ABS_VALUE:
            raise DataError(
                f"Column {quoted(name)} has values as large as {value:.3g}, too large to train on "
                f"safely (the limit is {MAX_ABS_VALUE:g}). Rescale it, for example divide it by a "
                "power of ten, and upload again."
            )


def _list(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(quoted(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _short_reason(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    reason = lines[0] if lines else type(error).__name__
    return reason[:120].rstrip(". ")
