"""Shared styling, sampling, formatting and spec plumbing for the chart builders (no Streamlit).

The builders return plain Vega-Lite v6 specs (dicts), written out directly: building Altair objects
and validating them took tens of milliseconds per chart, too much for every Step. The tests check
every spec against the Vega-Lite JSON schema instead. The data travel as pandas DataFrames under
the top-level "datasets" (Streamlit sends them as Arrow), each named after a hash of its content as
Altair names them: new data make a new spec, so the browser redraws the chart from scratch instead
of guessing whether rows were appended to the old data.

Sizes are set on each chart (not through "config") so that charts stay composable: the app may
layer, concatenate or restyle them; `enlarge_text` scales every font size of a finished spec (for
presenter mode on a projector).

Every spec has a top-level "description": a sentence built from the data (what is drawn and its
numbers) that the browser puts into the chart's aria-label, for screen readers and for whoever
cannot see the colours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

Spec = dict[str, Any]

SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v6.json"

MAX_ROWS = 10_000  # never send more rows than this to one chart
TITLE_SIZE = 19
SUBTITLE_SIZE = 14
LABEL_SIZE = 14
AXIS_TITLE_SIZE = 15
CELL_TEXT_SIZE = 13

# Okabe-Ito colours, safe for the common colour-vision deficiencies.
POSITIVE = "#0072B2"  # blue
NEGATIVE = "#D55E00"  # vermillion / orange
NEUTRAL = "#8C8C8C"
GREEN = "#009E73"
PURPLE = "#CC79A7"
OUTLINE = "#1A1A1A"
# Axis, legend and header text: 9.7:1 on white. (Streamlit's chart theme greys them to #808495,
# 3.7:1, below the 4.5:1 that WCAG asks of text this size.)
GUIDE_TEXT = "#444444"

# Diverging scale for signed values: orange below 0, light grey at 0, blue above 0.
DIVERGING_SCHEME = "blueorange"
UNIT_SCHEME = "viridis"  # activations in [0, 1]
VALUE_SCHEME = "plasma"  # predictions and targets (any range)

TOOLTIP_FORMAT = ".4~g"


def chart_title(text: str, subtitle: str | Sequence[str] | None = None) -> Spec:
    """A title readable on a projector, with an optional subtitle (one string or several lines)."""
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle or [])
    lines = [line for line in lines if line]
    title: Spec = {
        "text": text,
        "anchor": "start",
        "fontSize": TITLE_SIZE,
        "offset": 8,
        "subtitleColor": GUIDE_TEXT,
        "subtitleFontSize": SUBTITLE_SIZE,
    }
    if lines:
        title["subtitle"] = lines
    return title


def axis(title: str | None, **kwargs: Any) -> Spec:
    return {
        "title": title,
        "labelFontSize": LABEL_SIZE,
        "titleFontSize": AXIS_TITLE_SIZE,
        "labelColor": GUIDE_TEXT,
        "titleColor": GUIDE_TEXT,
        "labelOverlap": True,
        **kwargs,
    }


def legend(title: str | None, **kwargs: Any) -> Spec:
    return {
        "title": title,
        "labelFontSize": LABEL_SIZE,
        "titleFontSize": AXIS_TITLE_SIZE,
        "labelColor": GUIDE_TEXT,
        "titleColor": GUIDE_TEXT,
        **kwargs,
    }


_TYPES = {"Q": "quantitative", "N": "nominal", "O": "ordinal"}


def channel(shorthand: str, **kwargs: Any) -> Spec:
    """An encoding channel from Altair-style shorthand: channel("value:Q", scale=...) is
    {"field": "value", "type": "quantitative", "scale": ...}."""
    field, _, code = shorthand.rpartition(":")
    return {"field": field, "type": _TYPES[code], **kwargs}


def num_tooltip(field: str, title: str) -> Spec:
    """A number rounded to 4 significant digits."""
    return channel(f"{field}:Q", format=TOOLTIP_FORMAT, title=title)


def full_tooltip(field: str = "full", title: str = "full value") -> Spec:
    return channel(f"{field}:N", title=title)


def add_data(
    datasets: dict[str, pd.DataFrame],
    columns: Mapping[str, Any] | pd.DataFrame,
    name: str | None = None,
) -> Spec:
    """Put a DataFrame of `columns` (arrays, lists or scalars) into `datasets` under `name`, or a
    name hashed from the content; returns the {"name": ...} reference to it.

    A fixed name keeps the spec the same from step to step when nothing but the data changes, so
    the browser updates the chart's data in place instead of building the chart anew.
    """
    if name is not None:
        datasets[name] = (
            columns if isinstance(columns, pd.DataFrame) else pd.DataFrame(dict(columns))
        )
        return {"name": name}
    digest = hashlib.blake2b(digest_size=16)
    for key in columns:
        values = columns[key]
        if isinstance(values, pd.Series):
            values = values.to_numpy()
        digest.update(f"\x1e{key}\x1d".encode())
        if isinstance(values, np.ndarray) and values.dtype.kind in "biufU":
            digest.update(values.dtype.str.encode())
            digest.update(np.ascontiguousarray(values).tobytes())
        elif isinstance(values, str | int | float):
            digest.update(repr(values).encode())
        else:
            try:
                text = "\x1f".join(values)
            except TypeError:  # not all strings
                text = "\x1f".join(map(str, values))
            digest.update(text.encode())
    name = f"data-{digest.hexdigest()}"
    datasets[name] = columns if isinstance(columns, pd.DataFrame) else pd.DataFrame(dict(columns))
    return {"name": name}


def top_level(datasets: dict[str, pd.DataFrame], description: str, **spec: Any) -> Spec:
    """A complete spec: the schema, its text alternative, the given properties and the datasets
    they refer to."""
    return {"$schema": SCHEMA_URL, "description": description, **spec, "datasets": datasets}


def spec_to_json_safe(spec: Spec) -> Spec:
    """`spec` with every DataFrame in "datasets" replaced by its rows as records (NaN becomes None),
    as Altair's to_dict() gives them: plain JSON, e.g. for checking against the schema."""
    out = dict(spec)
    if "datasets" in spec:
        out["datasets"] = {
            name: frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            if isinstance(frame, pd.DataFrame)
            else frame
            for name, frame in spec["datasets"].items()
        }
    return out


def full_values(values: np.ndarray) -> list[str]:
    """Every value at full float64 precision, as text for a tooltip (Python's repr: 0.1, 2.0,
    1e-05, nan, inf). This is the costliest step of the big charts: about 0.3 µs a value."""
    return list(map(repr, np.asarray(values, dtype=float).ravel().tolist()))


def fmt_sig(value: float, digits: int = 3) -> str:
    """`value` rounded to `digits` significant digits, short: 0.5, -0.0123, 1.23e-05, 0."""
    v = float(value)
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        out = np.format_float_positional(
            v, precision=digits, unique=False, fractional=False, trim="-"
        )
        return "0" if float(out) == 0 else out
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def even_indices(n: int, k: int) -> np.ndarray:
    """`min(n, k)` evenly spaced indices into range(n), first and last included, deterministic."""
    if k >= n:
        return np.arange(n)
    if k <= 1:
        return np.zeros(min(n, max(k, 0)), dtype=int)
    return np.unique(np.linspace(0, n - 1, k).round().astype(int))


def spoken(value: float, digits: int = 3) -> str:
    """`value` as `fmt_sig` writes it, with a real minus sign (read as "minus", where a hyphen may
    be read as "dash"): −0.5, 1.2e−5."""
    return fmt_sig(value, digits).replace("-", "\u2212")


def value_range(values: np.ndarray) -> str | None:
    """ "from −1.2 to 0.9" (or "all 0.5") over the finite values; None when there are none."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    lo, hi = spoken(v.min()), spoken(v.max())
    return f"all {lo}" if lo == hi else f"from {lo} to {hi}"


def count(n: int, what: str) -> str:
    """ "1 point", "2,000 points": `what` is the singular, made plural with an s."""
    return f"{n:,} {what}" if n == 1 else f"{n:,} {what}s"


def sample_note(shown: int, total: int, what: str = "points") -> str:
    return f"showing {shown:,} of {total:,} {what} (evenly spaced)"


def message_chart(
    text: str, title: str, width: int = 600, height: int = 260, description: str | None = None
) -> Spec:
    """A chart with only a centred message, for empty data; its text alternative is
    `description`, or the title and the message."""
    datasets: dict[str, pd.DataFrame] = {}
    return top_level(
        datasets,
        description or f"{title}: {text.rstrip('.')}.",
        data=add_data(datasets, {"message": [text]}),
        mark={"type": "text", "color": "#555555", "fontSize": 18},
        encoding={"text": channel("message:N")},
        title=chart_title(title),
        width=width,
        height=height,
    )


def cell_edges(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edges of the cells centred on sorted grid values (any spacing)."""
    g = np.asarray(grid, dtype=float).ravel()
    if g.size == 1:
        return g - 0.5, g + 0.5
    mids = (g[1:] + g[:-1]) / 2
    lo = np.concatenate([[g[0] - (mids[0] - g[0])], mids])
    hi = np.concatenate([mids, [g[-1] + (g[-1] - mids[-1])]])
    return lo, hi


def thin_grid(r: int, budget: int) -> np.ndarray:
    """Indices of at most sqrt(budget) evenly spaced grid values per side (all when they fit)."""
    side = max(2, int(np.floor(np.sqrt(max(budget, 4)))))
    return even_indices(r, side)


def no_view_border() -> Spec:
    return {"stroke": None}


def grid_cells(
    g1: np.ndarray, g2: np.ndarray, values: np.ndarray, budget: int
) -> tuple[dict[str, Any], str | None]:
    """Columns of rect cells (x1, x2, cell edges, value) of a g1-fastest grid, thinned to fit
    `budget` rows."""
    r1, r2 = g1.size, g2.size
    grid = values.reshape(r2, r1)
    i1, i2 = thin_grid(r1, budget), thin_grid(r2, budget)
    note = None
    if i1.size < r1 or i2.size < r2:
        note = f"grid thinned to {i1.size}×{i2.size} of {r1}×{r2} points"
    x_lo, x_hi = cell_edges(g1[i1])
    y_lo, y_hi = cell_edges(g2[i2])
    # Each cell reaches a quarter into the next one, which is drawn after it and covers the
    # overlap: this hides the hairline seams that anti-aliasing leaves between touching rects.
    x_hi[:-1] += 0.25 * (x_hi[:-1] - x_lo[:-1])
    y_hi[:-1] += 0.25 * (y_hi[:-1] - y_lo[:-1])
    rows, cols = np.meshgrid(np.arange(i2.size), np.arange(i1.size), indexing="ij")
    J, K = rows.ravel(), cols.ravel()
    v = grid[np.ix_(i2, i1)].ravel()
    cells = {
        "x1": g1[i1][K],
        "x2": g2[i2][J],
        "xlo": x_lo[K],
        "xhi": x_hi[K],
        "ylo": y_lo[J],
        "yhi": y_hi[J],
        "value": v,
    }
    return cells, note


def two_names(feature_names: Sequence[str]) -> tuple[str, str]:
    names = [str(s) for s in feature_names] + ["x1", "x2"]
    return names[0], names[1]


# ---- presenter mode -----------------------------------------------------------------------------

FONT_KEYS = frozenset({"fontSize", "labelFontSize", "titleFontSize", "subtitleFontSize"})
# What a spec leaves to the defaults gets the builders' own sizes (at least the renderer's and
# Streamlit's theme's defaults), scaled: set in the spec's "config", which wins over the theme.
DEFAULT_FONT_SIZES: dict[str, dict[str, float]] = {
    "axis": {"labelFontSize": LABEL_SIZE, "titleFontSize": AXIS_TITLE_SIZE},
    "legend": {"labelFontSize": LABEL_SIZE, "titleFontSize": AXIS_TITLE_SIZE},
    "header": {"labelFontSize": LABEL_SIZE, "titleFontSize": AXIS_TITLE_SIZE},
    "title": {"fontSize": TITLE_SIZE, "subtitleFontSize": SUBTITLE_SIZE},
    "text": {"fontSize": CELL_TEXT_SIZE},
}


def _scaled(value: Any, factor: float) -> Any:
    """A font size times `factor`: a number, an {"expr": ...}, a {"value": ...} with or without
    a "condition", or a list of them (a scale's range)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value) * factor
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    if isinstance(value, dict):
        if set(value) == {"expr"}:
            return {"expr": f"({value['expr']}) * {factor!r}"}
        out = dict(value)
        if "value" in out:
            out["value"] = _scaled(out["value"], factor)
        if "condition" in out:
            out["condition"] = _scaled(out["condition"], factor)
        return out
    return value


def _is_text_mark(node: Mapping[str, Any]) -> bool:
    mark = node.get("mark")
    kind = mark.get("type") if isinstance(mark, Mapping) else mark
    return kind == "text"


def _enlarge(node: Any, factor: float) -> None:
    """Scale every font size in `node` in place; "data" and "datasets" are never entered."""
    if isinstance(node, list):
        for item in node:
            _enlarge(item, factor)
        return
    if not isinstance(node, dict):
        return
    if _is_text_mark(node):
        mark = node["mark"]
        if isinstance(mark, dict):
            # A text mark's "size" is its font size; "limit" (px) keeps as many characters.
            for key in ("size", "limit"):
                if key in mark:
                    mark[key] = _scaled(mark[key], factor)
        size = node.get("encoding", {}).get("size")
        if isinstance(size, dict):
            scaled = _scaled(size, factor)
            if isinstance(size.get("scale"), dict) and "range" in size["scale"]:
                scaled["scale"] = size["scale"] | {"range": _scaled(size["scale"]["range"], factor)}
            node["encoding"]["size"] = scaled
    for key, value in node.items():
        if key in ("data", "datasets"):
            continue
        if key in FONT_KEYS:
            node[key] = _scaled(value, factor)
        else:
            _enlarge(value, factor)


def _tree_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _tree_copy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_tree_copy(item) for item in value]
    return value


def enlarge_text(spec: Spec, factor: float) -> Spec:
    """A copy of `spec` with every font size multiplied by `factor` (for a projector: 1.5 makes
    axis labels, titles, legends, facet headers and text marks half as big again).

    Sizes set in the spec (titles, axes, legends, headers, text marks and their size encodings,
    "config") are scaled; sizes left to the defaults are set in "config" to `factor` times the
    builders' own sizes, so that they grow too. Only a complete (top-level) spec takes "config".
    The datasets are the same DataFrame objects, untouched; inline data are not entered.
    """
    if factor <= 0:
        raise ValueError(f"factor must be positive, not {factor!r}.")
    # A tree copy, not copy.deepcopy: a dict that several layers share (one axis for four layers)
    # must become one copy per place, or its sizes would be multiplied once per layer.
    out = {key: _tree_copy(value) for key, value in spec.items() if key != "datasets"}
    if isinstance(out.get("title"), str | list):
        out["title"] = {"text": out["title"]}
    _enlarge(out, factor)
    config = out.setdefault("config", {})
    for group, sizes in DEFAULT_FONT_SIZES.items():
        target = config.setdefault(group, {})
        for key, size in sizes.items():
            target.setdefault(key, size * factor)
    if "datasets" in spec:
        out["datasets"] = dict(spec["datasets"])
    return out
