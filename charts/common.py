"""Shared styling, sampling, formatting and spec plumbing for the chart builders (no Streamlit).

The builders return plain Vega-Lite v6 specs (dicts), written out directly: building Altair objects
and validating them took tens of milliseconds per chart, too much for every Step. The tests check
every spec against the Vega-Lite JSON schema instead. The data travel as pandas DataFrames under
the top-level "datasets" (Streamlit sends them as Arrow), each named after a hash of its content as
Altair names them: new data make a new spec, so the browser redraws the chart from scratch instead
of guessing whether rows were appended to the old data.

Sizes are set on each chart (not through "config") so that charts stay composable: the app may
layer, concatenate or restyle them.
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
        "subtitleColor": "#444444",
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
        "labelOverlap": True,
        **kwargs,
    }


def legend(title: str | None, **kwargs: Any) -> Spec:
    return {"title": title, "labelFontSize": LABEL_SIZE, "titleFontSize": AXIS_TITLE_SIZE, **kwargs}


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


def top_level(datasets: dict[str, pd.DataFrame], **spec: Any) -> Spec:
    """A complete spec: the schema, the given properties and the datasets they refer to."""
    return {"$schema": SCHEMA_URL, **spec, "datasets": datasets}


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


def sample_note(shown: int, total: int, what: str = "points") -> str:
    return f"showing {shown:,} of {total:,} {what} (evenly spaced)"


def message_chart(text: str, title: str, width: int = 600, height: int = 260) -> Spec:
    """A chart with only a centred message, for empty data."""
    datasets: dict[str, pd.DataFrame] = {}
    return top_level(
        datasets,
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
