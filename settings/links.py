"""The run's whole configuration in the URL query string, so one link opens the same run for all.

`to_query` turns widget values into short query parameters (only what differs from the
defaults, or from the preset named in the link); `from_query` reads them back, checking every
value against what the sidebar allows. A value that cannot be used falls back to its default
with a notice; `from_query` never raises. Pure Python: no Streamlit here.

Notices are plain text that may quote (truncated) text from the link: show them with Markdown
escaped.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from functools import cache
from typing import NamedTuple

from core.datasets import GENERATORS
from core.network import MAX_INPUTS
from core.samples import SAMPLES, load_sample
from settings.presets import PRESETS
from settings.schema import (
    DEFAULT,
    GENERATE,
    HIDE_SECTIONS,
    LR_OPTIONS,
    MAX_ETA_RUNS,
    MAX_ETA_STEPS,
    SAMPLE,
    SETTINGS,
    SOURCE_CODES,
    TYPED,
    UPLOAD,
    as_values,
)

__all__ = ["HIDE_SECTIONS", "LR_OPTIONS", "SOURCE_CODES"]  # re-exported for the link's readers

MAX_FEATURES = MAX_INPUTS

# Setting key -> query parameter name, in the order they appear in a link (the preset first).
QUERY_NAMES: dict[str, str] = {
    key: s.link
    for key, s in sorted(SETTINGS.items(), key=lambda item: item[0] != "preset")
    if s.link is not None
}
SHARED_KEYS: tuple[str, ...] = tuple(QUERY_NAMES)
_KEY_OF = {name: key for key, name in QUERY_NAMES.items()}

# The values a link without parameters gives: the schema's defaults.
URL_DEFAULTS: dict[str, object] = {key: as_values(DEFAULT)[key] for key in SHARED_KEYS}

_LABELS = {key: SETTINGS[key].noun for key in SHARED_KEYS}
_INT_RANGES = {
    key: (int(s.low), int(s.high))
    for key, s in SETTINGS.items()
    if s.kind == "int" and key != "gen_inputs"  # the function decides its inputs
}
_FLOAT_RANGES = {
    key: (s.low, s.high) for key, s in SETTINGS.items() if s.kind == "float" and not s.snap
}
_BOOL_KEYS = tuple(key for key, s in SETTINGS.items() if s.kind == "bool")
_FLOAT_KEYS = (*(key for key, s in SETTINGS.items() if s.kind == "float"), "lr")
_TEST_STEP = SETTINGS["test_fraction"].step
_TEST_MAX = SETTINGS["test_fraction"].high
_TOLERANCE = 1e-9
_MAX_RAW = 2_000  # longer values are refused before any parsing
_SHOW_CHARS = 40
_IGNORED_QUIETLY = frozenset({"embed", "embed_options"})  # Streamlit's own parameters

# ASCII digits only: Python's int() and float() also read "١٢" and "５０", which no link should.
_INT_RE = re.compile(r"[+-]?[0-9]{1,15}(?:\.0*)?")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

UPLOAD_NOTE = (
    "Uploaded data cannot travel in a link; whoever opens it gets the default generated data "
    "instead. For identical runs, share generated data or a sample dataset."
)
_UPLOAD_TO_SAMPLE = "Uploaded data cannot travel in a link; the preset's sample dataset is used."
UNREADABLE = "The link's settings could not be read, so the defaults are used."
MAX_LINK_ROWS = 20  # a typed-in table travels in a link up to this many rows
MAX_LINK_WEIGHTS = 4 * 8 + 8 + 8 + 1  # the largest network's parameters
ROWS_NOTE = (
    f"The typed-in table has more than {MAX_LINK_ROWS} rows, too many for a link; whoever opens "
    "it gets the worked example's rows instead. Share the table as a CSV (Export, matrices of a "
    "full-batch step) or a sample dataset."
)
ETA_NOTE = (
    f"This run changed η more than {MAX_ETA_RUNS} times; the link carries only the current η. "
    "To reproduce the run exactly, download its script in the Export view."
)


class Parsed(NamedTuple):
    """A value for every shared key, and what was wrong with the link (empty if nothing)."""

    values: dict[str, object]
    notices: list[str]


class _Bad(Exception):
    """A link value that cannot be used; the message says why."""


# ---- writing a link -------------------------------------------------------------------------


def share_note(values: Mapping[str, object]) -> str | None:
    """The sentence to show by a share link when part of the set-up cannot travel in it."""
    if values.get("source") == UPLOAD:
        return UPLOAD_NOTE
    if values.get("source") == TYPED and len(values.get("typed_rows") or ()) > MAX_LINK_ROWS:
        return ROWS_NOTE
    if len(values.get("eta") or ()) > MAX_ETA_RUNS:
        return ETA_NOTE
    return None


def to_query(values: Mapping[str, object]) -> dict[str, str]:
    """Query parameters for the shared keys in `values` that differ from the defaults.

    With a known ``"preset"`` the defaults are that preset's values, so a preset left as it is
    gives just ``preset=name``. Uploaded data does not travel (see `share_note`), and the target
    and features travel only with a sample dataset. Values that cannot be encoded are left out.
    """
    preset = values.get("preset")
    base = _base(preset if isinstance(preset, str) and preset in PRESETS else None)
    source = values.get("source", base["source"])
    query: dict[str, str] = {}
    for key, name in QUERY_NAMES.items():
        if key not in values or key in ("target", "features"):
            continue
        value = values[key]
        if key == "source" and value == UPLOAD:
            continue
        if key == "eta" and len(value) > MAX_ETA_RUNS:
            continue
        if key == "typed_rows" and len(value) > MAX_LINK_ROWS:
            continue
        try:
            if not _same(key, value, URL_DEFAULTS[key] if key == "preset" else base[key]):
                query[name] = _encode(key, value)
        except (TypeError, ValueError, OverflowError):
            continue
    if source == SAMPLE:
        sample = values.get("sample_name", base["sample_name"])
        if isinstance(sample, str) and sample in SAMPLES:
            target = values.get("target")
            default_target = _default_target(base, sample)
            if target is not None and target != default_target:
                query[QUERY_NAMES["target"]] = str(target)
            features = values.get("features")
            chosen = target if target is not None else default_target
            if features is not None and list(features) != _default_features(base, sample, chosen):
                query[QUERY_NAMES["features"]] = join_list([str(f) for f in features])
    order = list(QUERY_NAMES.values())
    return dict(sorted(query.items(), key=lambda item: order.index(item[0])))


def _same(key: str, value: object, default: object) -> bool:
    if key in ("typed_columns", "typed_rows", "init_weights"):
        return _plain(value) == _plain(default)
    if key == "eta":
        return [tuple(run) for run in value] == [tuple(run) for run in default]
    if key in _FLOAT_KEYS:
        return float(value) == float(default)
    if key in ("features", "hide"):
        return list(value) == list(default)
    return value == default


def _encode(key: str, value: object) -> str:
    if key == "typed_columns":
        return join_list([str(name) for name in value])
    if key == "typed_rows":
        return ";".join(",".join(float_text(float(v)) for v in row) for row in value)
    if key == "init_weights":
        return ",".join(float_text(float(v)) for v in value)
    if key == "eta":
        return ",".join(f"{int(count)}*{float_text(float(lr))}" for count, lr in value)
    if key in _BOOL_KEYS:
        return "1" if value else "0"
    if key in _INT_RANGES or key == "gen_inputs":
        return str(int(value))
    if key in _FLOAT_KEYS:
        return float_text(float(value))
    if key == "source":
        return SOURCE_CODES[value]
    if key in ("features", "hide"):
        return join_list([str(item) for item in value])
    if value is None:
        return ""
    return str(value)


def float_text(x: float) -> str:
    """The shortest of ``:g`` and ``repr`` that reads back as exactly `x`."""
    short = f"{x:g}"
    return short if float(short) == x else repr(x)


def join_list(items: list[str]) -> str:
    """Comma-join, with commas and backslashes inside items escaped by a backslash."""
    return ",".join(item.replace("\\", "\\\\").replace(",", "\\,") for item in items)


def split_list(text: str) -> list[str]:
    """The inverse of `join_list`; "" gives []."""
    if text == "":
        return []
    items, current, chars = [], [], iter(text)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return items


# ---- reading a link -------------------------------------------------------------------------


def from_query(params: Mapping[str, str | list[str]]) -> Parsed:
    """Every shared key's value from the query parameters, each checked; never raises.

    Missing parameters take their defaults (the preset's values when the link names one).
    A bad or out-of-range value takes its default and adds a notice naming the parameter, the
    value and the default used. Unknown parameters are ignored with one notice.
    """
    try:
        return _from_query(params)
    except Exception:  # a last guard: a link must never break the page
        return Parsed(_base(None), [UNREADABLE])


def _from_query(params: Mapping[str, str | list[str]]) -> Parsed:
    raw: dict[str, str] = {}
    unknown: list[str] = []
    notices: list[str] = []
    for name, value in params.items():
        key = _KEY_OF.get(str(name))
        if key is None:
            if str(name) not in _IGNORED_QUIETLY:
                unknown.append(str(name))
            continue
        if isinstance(value, list | tuple):
            if not value:
                continue
            if len(value) > 1:
                notices.append(
                    f"Link setting “{name}” ({_LABELS[key]}) appears {len(value)} times; the "
                    f"last value, “{_show(str(value[-1]))}”, is used."
                )
            value = value[-1]
        raw[key] = str(value)

    if unknown:
        names = ", ".join(f"“{_show(n)}”" for n in unknown[:5])
        more = f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
        notices.insert(0, f"The link's unknown settings {names}{more} were ignored.")

    def read(key: str, parse: Callable[[str], object], default: object) -> object:
        if key not in raw:
            return default
        text = raw[key]
        try:
            if len(text) > _MAX_RAW:
                raise _Bad("is too long")
            return parse(text)
        except _Bad as bad:
            notices.append(
                f"Link setting “{QUERY_NAMES[key]}” ({_LABELS[key]}): “{_show(text)}” {bad}; "
                f"using the default {_show_value(default)}."
            )
            return default

    preset = read("preset", _parse_preset, None)
    base = _base(preset)
    values: dict[str, object] = {"preset": preset}

    source = read("source", _parse_source, base["source"])
    if source == UPLOAD:
        source = base["source"]
        notices.append(UPLOAD_NOTE if source == GENERATE else _UPLOAD_TO_SAMPLE)
    values["source"] = source
    values["gen_name"] = read("gen_name", _choice(GENERATORS, "function"), base["gen_name"])
    values["sample_name"] = read("sample_name", _choice(SAMPLES, "sample"), base["sample_name"])
    values["init_scheme"] = read(
        "init_scheme",
        _choice(SETTINGS["init_scheme"].options, "initialisation"),
        base["init_scheme"],
    )

    supported = GENERATORS[values["gen_name"]].n_inputs
    default_inputs = base["gen_inputs"] if base["gen_inputs"] in supported else supported[-1]
    values["gen_inputs"] = read("gen_inputs", _parse_inputs(supported), default_inputs)
    for key, (low, high) in _INT_RANGES.items():
        values[key] = read(key, _parse_int(low, high), base[key])
    for key, (low_f, high_f) in _FLOAT_RANGES.items():
        values[key] = read(key, _parse_float(low_f, high_f), base[key])
    values["test_fraction"] = read("test_fraction", _parse_test_fraction, base["test_fraction"])
    _say_if_snapped(raw, "test_fraction", values["test_fraction"], notices)
    for key in _BOOL_KEYS:
        values[key] = read(key, _parse_bool, base[key])
    values["lr"] = _read_lr(raw, base, notices)
    values["eta"] = read("eta", _parse_eta, base["eta"])
    values["typed_columns"] = read("typed_columns", _parse_names, base["typed_columns"])
    values["typed_rows"] = read("typed_rows", _parse_rows, base["typed_rows"])
    values["init_weights"] = read("init_weights", _parse_weights, base["init_weights"])
    if len(values["typed_rows"]) and len(values["typed_rows"][0]) != len(values["typed_columns"]):
        notices.append(
            "Link settings “rows” and “cols” do not fit together (another number of cells "
            "than columns); using the worked example's table."
        )
        values["typed_columns"] = URL_DEFAULTS["typed_columns"]
        values["typed_rows"] = URL_DEFAULTS["typed_rows"]
    values["hide"] = _read_hide(raw, base, notices)
    _read_columns(raw, base, values, notices)
    return Parsed({key: values[key] for key in SHARED_KEYS}, notices)


def _base(preset: str | None) -> dict[str, object]:
    base = {key: list(v) if isinstance(v, list) else v for key, v in URL_DEFAULTS.items()}
    if preset is not None:
        base.update(PRESETS[preset].values)
        base["preset"] = preset
    return base


def _parse_preset(text: str) -> str | None:
    name = text.strip().lower()
    if name == "":
        return None
    if name not in PRESETS:
        raise _Bad("is not a known preset")
    return name


def _parse_source(text: str) -> str:
    wanted = text.strip().lower()
    for label, code in SOURCE_CODES.items():
        if wanted in (code, label.lower()):
            return label
    raise _Bad("is not a data source (generate, sample or typed)")


def _choice(options: Mapping[str, object] | tuple[str, ...], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        name = text.strip().lower()
        if name not in options:
            raise _Bad(f"is not a known {what}")
        return name

    return parse


def _parse_int_text(text: str) -> int:
    text = text.strip()
    if not _INT_RE.fullmatch(text):
        raise _Bad("is not a whole number")
    return int(text.split(".")[0])


def _parse_float_text(text: str) -> float:
    text = text.strip()
    if not _FLOAT_RE.fullmatch(text):
        raise _Bad("is not a number")
    number = float(text)
    if not math.isfinite(number):
        raise _Bad("is not a finite number")
    return number


def _parse_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        number = _parse_int_text(text)
        if not low <= number <= high:
            raise _Bad(f"is outside {low:,} to {high:,}")
        return number

    return parse


def _parse_inputs(supported: tuple[int, ...]) -> Callable[[str], int]:
    def parse(text: str) -> int:
        number = _parse_int_text(text)
        if number not in supported:
            allowed = " or ".join(str(n) for n in supported)
            raise _Bad(f"is not a number of inputs this function takes ({allowed})")
        return number

    return parse


def _parse_float(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        number = _parse_float_text(text)
        if not low <= number <= high:
            raise _Bad(f"is outside {low:g} to {high:g}")
        return number

    return parse


def _parse_test_fraction(text: str) -> float:
    number = _parse_float_text(text)
    if not -_TOLERANCE <= number <= _TEST_MAX + _TOLERANCE:
        raise _Bad(f"is outside 0 to {_TEST_MAX:g}")
    return round(round(number / _TEST_STEP) * _TEST_STEP, 2)


def _say_if_snapped(raw: dict[str, str], key: str, used: object, notices: list[str]) -> None:
    try:
        given = _parse_float_text(raw[key]) if len(raw.get(key, "")) <= _MAX_RAW else None
    except (_Bad, KeyError):
        return
    in_range = given is not None and -_TOLERANCE <= given <= _TEST_MAX + _TOLERANCE
    if in_range and abs(given - float(used)) > _TOLERANCE:
        notices.append(
            f"Link setting “{QUERY_NAMES[key]}” ({_LABELS[key]}): “{_show(raw[key])}” is not "
            f"one of the steps offered; using the nearest, {_show_value(used)}."
        )


def _parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _Bad("is not 1 or 0")


def nearest_lr(lr: float) -> float:
    """The offered learning rate nearest to `lr` (> 0) on a log scale."""
    return min(LR_OPTIONS, key=lambda option: abs(math.log(option) - math.log(lr)))


def _read_lr(raw: dict[str, str], base: dict[str, object], notices: list[str]) -> float:
    default = float(base["lr"])
    if "lr" not in raw:
        return default
    text = raw["lr"]
    try:
        if len(text) > _MAX_RAW:
            raise _Bad("is too long")
        lr = _parse_float_text(text)
        if lr <= 0:
            raise _Bad("is not above 0")
    except _Bad as bad:
        notices.append(
            f"Link setting “lr” (learning rate): “{_show(text)}” {bad}; "
            f"using the default {default:g}."
        )
        return default
    snapped = nearest_lr(lr)
    if not math.isclose(snapped, lr, rel_tol=_TOLERANCE):
        notices.append(
            f"Link setting “lr” (learning rate): “{_show(text)}” is not one of the learning "
            f"rates offered; using the nearest, {snapped:g}."
        )
    return snapped


def _read_hide(raw: dict[str, str], base: dict[str, object], notices: list[str]) -> list[str]:
    if "hide" not in raw:
        return list(base["hide"])
    words = [w.strip().lower() for w in raw["hide"][:_MAX_RAW].split(",")]
    hide = list(dict.fromkeys(w for w in words if w in HIDE_SECTIONS))
    bad = [w for w in words if w and w not in HIDE_SECTIONS]
    if bad:
        shown = ", ".join(f"“{_show(w)}”" for w in bad[:5])
        notices.append(
            f"Link setting “hide” (hidden sections): {shown} ignored; the sections that can be "
            f"hidden are {', '.join(HIDE_SECTIONS)}."
        )
    return hide


def _read_columns(
    raw: dict[str, str], base: dict[str, object], values: dict[str, object], notices: list[str]
) -> None:
    """Target and features: checked against the sample's columns, used only with a sample."""
    given = [key for key in ("target", "features") if key in raw]
    if values["source"] != SAMPLE:
        values["target"], values["features"] = None, []
        if given and raw.get("source", "").strip().lower() not in ("upload", UPLOAD.lower()):
            names = " and ".join(f"“{QUERY_NAMES[key]}”" for key in given)
            notices.append(f"Link setting {names} ignored: only used with a sample dataset.")
        return
    sample = str(values["sample_name"])
    columns = _sample_columns(sample)
    target = _default_target(base, sample)
    if "target" in raw:
        text = raw["target"]
        if text in columns:
            target = text
        else:
            notices.append(
                f"Link setting “target” (target y): “{_show(text)}” is not a column of this "
                f"sample; using the default {_show(target)}."
            )
    features = _default_features(base, sample, target)
    if "features" in raw:
        text = raw["features"]
        chosen = split_list(text[:_MAX_RAW])
        problem = ""
        if not 1 <= len(chosen) <= MAX_FEATURES:
            problem = f"is not 1 to {MAX_FEATURES} columns"
        elif len(set(chosen)) != len(chosen):
            problem = "names a column twice"
        elif target in chosen:
            problem = "includes the target"
        elif not set(chosen) <= set(columns):
            problem = "names a column this sample does not have"
        if problem:
            notices.append(
                f"Link setting “feat” (features): “{_show(text)}” {problem}; "
                f"using the default {_show(', '.join(features))}."
            )
        else:
            features = chosen
    values["target"], values["features"] = target, features


def _default_target(base: Mapping[str, object], sample: str) -> str:
    if base["source"] == SAMPLE and base["sample_name"] == sample and base["target"] is not None:
        return str(base["target"])
    return SAMPLES[sample].target


def _default_features(base: Mapping[str, object], sample: str, target: str) -> list[str]:
    same = base["source"] == SAMPLE and base["sample_name"] == sample
    if same and base["target"] == target and base["features"]:
        return [str(f) for f in base["features"]]
    features = [f for f in SAMPLES[sample].features if f != target]
    if not features:
        features = [c for c in _sample_columns(sample) if c != target][:1]
    return features


@cache
def _sample_columns(sample: str) -> tuple[str, ...]:
    """The columns the sidebar offers for a sample (read once; the files never change)."""
    try:
        return tuple(str(c) for c in load_sample(sample).frame.columns)
    except Exception:
        spec = SAMPLES[sample]
        return (spec.target, *spec.features)


def _show(text: str) -> str:
    """User text for a notice: control characters blanked, cut to 40 characters."""
    clean = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    clean = " ".join(clean.split())
    return clean if len(clean) <= _SHOW_CHARS else clean[: _SHOW_CHARS - 1] + "…"


def _show_value(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _parse_eta(text: str) -> tuple[tuple[int, float], ...]:
    """ "120*0.5,30*0.1": the first 120 steps at η = 0.5, the next 30 at 0.1 (η as offered)."""
    runs = []
    for part in split_list(text.strip()) if text.strip() else []:
        count_text, star, lr_text = part.partition("*")
        if not star:
            raise _Bad("is not a list of steps*η (e.g. 120*0.5,30*0.1)")
        count, lr = _parse_int_text(count_text), _parse_float_text(lr_text)
        if count < 1 or lr <= 0:
            raise _Bad("has a count below 1 or an η not above 0")
        if not math.isclose(nearest_lr(lr), lr, rel_tol=_TOLERANCE):
            raise _Bad(f"has η = {_show(lr_text)}, not one of the learning rates offered")
        runs.append((count, nearest_lr(lr)))
    if len(runs) > MAX_ETA_RUNS or sum(count for count, _ in runs) > MAX_ETA_STEPS:
        raise _Bad(f"is longer than {MAX_ETA_RUNS} changes or {MAX_ETA_STEPS:,} steps")
    return tuple(runs)


def _plain(value: object) -> object:
    """Tuples and lists alike, for comparing a value with its default."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _parse_names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in split_list(text))
    if not 2 <= len(names) <= MAX_FEATURES + 1 or not all(names) or len(set(names)) < len(names):
        raise _Bad(f"is not 2 to {MAX_FEATURES + 1} distinct column names")
    return names


def _parse_rows(text: str) -> tuple[tuple[float, ...], ...]:
    rows = [row.split(",") for row in text.split(";")] if text.strip() else []
    if not 1 <= len(rows) <= MAX_LINK_ROWS:
        raise _Bad(f"is not 1 to {MAX_LINK_ROWS} rows")
    if len({len(row) for row in rows}) != 1:
        raise _Bad("has rows of different lengths")
    return tuple(tuple(_parse_float_text(cell) for cell in row) for row in rows)


def _parse_weights(text: str) -> tuple[float, ...]:
    cells = text.split(",") if text.strip() else []
    if len(cells) > MAX_LINK_WEIGHTS:
        raise _Bad(f"has more than {MAX_LINK_WEIGHTS} numbers")
    return tuple(_parse_float_text(cell) for cell in cells)
