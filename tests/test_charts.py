"""The chart builders: valid Vega-Lite, titles, scales, sampling caps and the network's edges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest

import charts
from core.network import Params, forward, init_params


def spec(chart: charts.Spec) -> dict[str, Any]:
    """The builder's spec as plain JSON: its DataFrames as lists of records."""
    assert isinstance(chart, dict)
    return charts.spec_to_json_safe(chart)


@cache
def schema_validator() -> jsonschema.protocols.Validator:
    """The Vega-Lite v6 JSON schema that ships with Altair: the app skips validation at run time,
    the tests do it here."""
    path = resources.files("altair") / "vegalite" / "v6" / "schema" / "vega-lite-schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def datasets(s: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(s.get("datasets", {}).values())


def n_rows(s: dict[str, Any]) -> int:
    return sum(len(rows) for rows in datasets(s))


def dataset_with(s: dict[str, Any], key: str) -> list[dict[str, Any]]:
    found = [rows for rows in datasets(s) if rows and key in rows[0]]
    assert len(found) == 1, f"expected one dataset with {key!r}, found {len(found)}"
    return found[0]


def subtitle(s: dict[str, Any]) -> str:
    sub = s["title"].get("subtitle", [])
    return " ".join(sub) if isinstance(sub, list) else sub


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def colour_scales(s: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        d["color"]["scale"]
        for d in walk(s)
        if isinstance(d.get("color"), dict) and isinstance(d["color"].get("scale"), dict)
    ]


def y_scales(s: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        d["y"]["scale"]
        for d in walk(s)
        if isinstance(d.get("y"), dict) and isinstance(d["y"].get("scale"), dict)
    ]


def assert_readable(s: dict[str, Any]) -> None:
    """An explicit title 18-20 px; every axis/legend/header font size set is at least 14 px."""
    title = s["title"]
    assert title["text"]
    assert 18 <= title["fontSize"] <= 20
    for d in walk(s):
        for key in ("labelFontSize", "titleFontSize"):
            if key in d:
                assert d[key] >= 14, d


RNG = np.random.default_rng(0)


def all_charts() -> dict[str, charts.Spec]:
    X = RNG.normal(size=(300, 2))
    y = (X[:, :1] ** 2) + X[:, 1:]
    g1, g2, G = charts.input_grid(X)
    p = init_params("xavier", 2, 8, seed=1)
    fwd = forward(p, G)
    x1 = np.linspace(-2, 2, 40)
    h1, _, G1 = charts.input_grid(x1.reshape(-1, 1))
    p1 = init_params("xavier", 1, 3, seed=1)
    steps = np.arange(1, 101, dtype=float)
    loss = np.exp(-steps / 30)
    nan = np.full(100, np.nan)
    return {
        "heatmap": charts.matrix_heatmap(RNG.normal(size=(4, 3)), "W1"),
        "heatmap_unit": charts.matrix_heatmap(RNG.uniform(size=(5, 2)), "A1", kind="unit"),
        "heatmap_no_text": charts.matrix_heatmap(RNG.normal(size=(100, 9)), "A1"),
        "heatmap_empty": charts.matrix_heatmap(np.zeros((0, 3)), "W1"),
        "loss": charts.loss_chart(steps, loss, loss, loss),
        "loss_log": charts.loss_chart(steps, loss - 0.5, loss, nan, log_scale=True),
        "loss_empty": charts.loss_chart(*(np.array([]),) * 4),
        "loss_all_nan": charts.loss_chart(steps, nan, nan, nan),
        "grad": charts.grad_norm_chart(steps, loss, loss / 2),
        "surface": charts.prediction_surface(g1, g2, fwd.A2.ravel(), X, y, ["a", "b"], "y"),
        "fit": charts.fit_curve(x1, np.sin(x1), h1, forward(p1, G1).A2.ravel(), "x", "y"),
        "surface_focus": charts.prediction_surface(
            g1, g2, fwd.A2.ravel(), X, y, ["a", "b"], "y", focus=charts.Focus(0.5, -0.5, "row #3")
        ),
        "fit_focus": charts.fit_curve(
            x1, x1, h1, h1, "x", "y", focus=charts.Focus(0.25, 0.75, "training row #7")
        ),
        "fit_batch": charts.fit_curve(
            x1, x1, h1, h1, "x", "y", max_points=10, batch_x=x1[:4], batch_y=x1[:4]
        ),
        "yy": charts.y_vs_yhat(y, y + 0.1, "y"),
        "yy_empty": charts.y_vs_yhat(np.array([]), np.array([]), "y"),
        "units2": charts.hidden_unit_maps(g1, g2, fwd.A1, ["a", "b"]),
        "units1": charts.hidden_unit_maps(h1, np.empty(0), forward(p1, G1).A1, ["x"]),
        "network": charts.network_diagram(p, ["a", "b"], "y"),
        "network_no_bias": charts.network_diagram(p1, ["x"], "y", show_bias=False),
    }


@pytest.mark.parametrize("name", list(all_charts()))
def test_every_builder_gives_a_valid_titled_readable_chart(name: str) -> None:
    chart = all_charts()[name]
    s = spec(chart)
    schema_validator().validate(s)
    assert_readable(s)
    assert n_rows(s) <= charts.MAX_ROWS


@pytest.mark.parametrize("name", list(all_charts()))
def test_specs_are_plain_json_with_named_dataframes(name: str) -> None:
    """What st.vega_lite_chart needs: the spec proper JSON-encodes as it is (no NumPy scalars, no
    NaN), and every data reference names a DataFrame in "datasets" (Streamlit sends those as
    Arrow)."""
    chart = all_charts()[name]
    assert chart["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json"
    body = {key: value for key, value in chart.items() if key != "datasets"}
    json.dumps(body, allow_nan=False)
    used = {d["data"]["name"] for d in walk(body) if isinstance(d.get("data"), dict)}
    assert used == set(chart["datasets"])
    assert all(isinstance(frame, pd.DataFrame) for frame in chart["datasets"].values())


def test_the_schema_check_catches_a_bad_spec() -> None:
    s = spec(charts.y_vs_yhat(np.arange(3.0), np.arange(3.0), "y"))
    schema_validator().validate(s)
    s["layer"][1]["mark"]["size"] = "big"
    with pytest.raises(jsonschema.ValidationError):
        schema_validator().validate(s)


def test_dataset_names_follow_the_content() -> None:
    """Same data, same spec (the browser keeps the chart); new data, a new name (the browser
    redraws instead of guessing that rows were appended to the old dataset)."""
    steps = np.arange(1, 11)
    loss = np.linspace(1, 0.1, 10)
    a = charts.loss_chart(steps, loss, loss, loss)
    b = charts.loss_chart(steps, loss.copy(), loss, loss)
    assert list(a["datasets"]) == list(b["datasets"])
    assert json.dumps(spec(a)) == json.dumps(spec(b))
    c = charts.loss_chart(steps, loss, loss, loss * 1.001)
    assert list(a["datasets"]) != list(c["datasets"])


def test_heatmap_spec_stays_the_same_when_only_the_numbers_change() -> None:
    """The browser then updates the heatmap's data in place instead of rebuilding the chart."""
    rows, cols = ["1 · #3", "2 · #9"], ["h1", "h2", "h3"]
    a = charts.matrix_heatmap(RNG.normal(size=(2, 3)), "Z1", rows, cols)
    b = charts.matrix_heatmap(5 * RNG.normal(size=(2, 3)), "Z1", ["1 · #7", "2 · #1"], cols)
    without_data = [{k: v for k, v in c.items() if k != "datasets"} for c in (a, b)]
    assert json.dumps(without_data[0]) == json.dumps(without_data[1])
    assert not a["datasets"]["cells"].equals(b["datasets"]["cells"])


def test_json_safe_copy_leaves_the_spec_alone() -> None:
    chart = charts.matrix_heatmap(np.array([[np.nan, 1.0]]), "W1")
    safe = charts.spec_to_json_safe(chart)
    (rows,) = safe["datasets"].values()
    assert rows[0]["value"] is None and rows[1]["value"] == 1.0
    assert isinstance(rows[1]["value"], float)
    assert all(isinstance(frame, pd.DataFrame) for frame in chart["datasets"].values())
    json.dumps(safe, allow_nan=False)


# matrix_heatmap


def test_signed_heatmap_domain_is_symmetric_and_centred_on_zero() -> None:
    M = np.array([[0.5, -2.0, 1.0], [0.25, 0.0, -0.1]])
    s = spec(charts.matrix_heatmap(M, "W1", ["x1", "x2"], ["h1", "h2", "h3"]))
    (scale,) = [sc for sc in colour_scales(s) if "domain" in sc]
    # [-lim, lim], with lim = max |M| carried in the data
    assert scale["domain"] == {"expr": "[-data('cells')[0].lim, data('cells')[0].lim]"}
    assert scale["domainMid"] == 0
    cells = dataset_with(s, "value")
    assert {c["lim"] for c in cells} == {2.0}
    assert len(cells) == 6
    assert {c["label"] for c in cells} >= {"0.5", "-2", "0.25", "0", "-0.1"}
    # rows top to bottom in the given order, columns likewise
    y = next(d["y"] for d in walk(s) if isinstance(d.get("y"), dict))
    x = next(d["x"] for d in walk(s) if isinstance(d.get("x"), dict))
    assert y["sort"] == {"field": "pos"} and x["sort"] == ["h1", "h2", "h3"]
    assert [(c["pos"], c["row"]) for c in cells[::3]] == [(0, "x1"), (1, "x2")]


def test_unit_heatmap_uses_zero_to_one() -> None:
    s = spec(charts.matrix_heatmap(RNG.uniform(size=(5, 2)), "A1", kind="unit"))
    (scale,) = [sc for sc in colour_scales(s) if "domain" in sc]
    assert scale["domain"] == [0, 1]
    assert scale["scheme"] == "viridis"


def test_all_zero_and_non_finite_matrices_are_safe() -> None:
    s = spec(charts.matrix_heatmap(np.zeros((2, 3)), "W1"))
    assert {c["lim"] for c in dataset_with(s, "value")} == {1.0}
    M = np.array([[np.nan, np.inf, 1.0]])
    s = spec(charts.matrix_heatmap(M, "Z1"))
    assert {c["lim"] for c in dataset_with(s, "value")} == {1.0}
    assert [c["label"] for c in dataset_with(s, "label")] == ["nan", "inf", "1"]


def test_heatmap_shows_first_max_rows_and_says_so() -> None:
    M = RNG.normal(size=(150, 3))
    s = spec(charts.matrix_heatmap(M, "A1"))
    assert len(dataset_with(s, "value")) == 64 * 3
    assert "first 64 of 150 rows" in subtitle(s)
    small = spec(charts.matrix_heatmap(M[:10], "A1"))
    assert "subtitle" not in small["title"]


def test_heatmap_writes_values_only_in_small_matrices() -> None:
    def has_text(M: np.ndarray, max_rows: int = 64) -> bool:
        s = spec(charts.matrix_heatmap(M, "M", max_rows=max_rows))
        return any(d.get("mark", {}) == {"type": "text", "fontSize": 13} for d in walk(s))

    assert has_text(np.ones((64, 8)))
    assert not has_text(np.ones((64, 9)))
    assert has_text(np.ones((100, 2)))  # the first 64 rows
    assert not has_text(np.ones((100, 2)), max_rows=100)
    s = spec(charts.matrix_heatmap(np.ones((100, 2)), "M", max_rows=100))
    assert len(dataset_with(s, "value")) == 200


def test_fmt_sig_rounds_to_three_significant_digits() -> None:
    assert charts.fmt_sig(0.43125) == "0.431"
    assert charts.fmt_sig(-2.0) == "-2"
    assert charts.fmt_sig(123.456) == "123"
    assert charts.fmt_sig(1.23456e-5) == "1.23e-5"
    assert charts.fmt_sig(-98765.0) == "-9.88e4"
    assert charts.fmt_sig(0.0) == "0"
    assert charts.fmt_sig(float("nan")) == "nan"


# loss_chart and grad_norm_chart


def test_loss_chart_drops_nan_and_omits_an_all_nan_test_series() -> None:
    steps = np.arange(1, 101)
    batch = np.linspace(2, 1, 100)
    train = np.full(100, np.nan)
    train[9::10] = 1.0
    s = spec(charts.loss_chart(steps, batch, train, np.full(100, np.nan)))
    rows = dataset_with(s, "series")
    assert all(np.isfinite(r["value"]) for r in rows)
    series = [r["series"] for r in rows]
    assert series.count("batch loss") == 100
    assert series.count("train loss") == 10
    assert "test loss" not in series
    assert all("test loss" not in sc.get("domain", []) for sc in colour_scales(s))
    full = {r["full"] for r in rows if r["series"] == "batch loss"}
    assert repr(float(batch[1])) in full


def test_loss_chart_log_scale_clips_zeros_to_a_positive_value() -> None:
    steps = np.arange(1, 6)
    batch = np.array([1.0, 0.1, 0.0, 0.01, 0.001])
    s = spec(charts.loss_chart(steps, batch, batch, batch, log_scale=True))
    assert any(sc.get("type") == "log" for sc in y_scales(s))
    assert all(r["plot"] > 0 for r in dataset_with(s, "plot"))
    assert "log scale" in subtitle(s)
    linear = spec(charts.loss_chart(steps, batch, batch, batch))
    assert not any(sc.get("type") == "log" for sc in y_scales(linear))


def test_loss_chart_thins_long_series_and_says_so() -> None:
    n = 150_000
    steps = np.arange(1, n + 1)
    batch = RNG.uniform(size=n)
    train = np.where(steps % 10 == 0, 0.5, np.nan)
    s = spec(charts.loss_chart(steps, batch, train, train, max_points=2000))
    rows = dataset_with(s, "series")
    for name in ("batch loss", "train loss", "test loss"):
        assert sum(r["series"] == name for r in rows) <= 2000
    assert len(rows) <= charts.MAX_ROWS
    assert "2,000 of 150,000" in subtitle(s)
    assert "2,000 of 15,000" in subtitle(s)
    kept = [r["step"] for r in rows if r["series"] == "batch loss"]
    assert kept[0] == 1 and kept[-1] == n  # evenly spaced, ends included


def test_loss_chart_with_no_steps_says_how_to_start() -> None:
    s = spec(charts.loss_chart(np.array([]), np.array([]), np.array([]), np.array([])))
    (rows,) = datasets(s)
    assert "Step" in rows[0]["message"]
    assert s["title"]["text"]


def test_infinite_losses_are_left_out_and_counted() -> None:
    steps = np.arange(1, 5)
    batch = np.array([1.0, 10.0, np.inf, np.nan])
    s = spec(charts.loss_chart(steps, batch, batch, batch))
    assert all(np.isfinite(r["value"]) for r in dataset_with(s, "series"))
    assert "infinite" in subtitle(s)


def test_grad_norm_chart_is_log_by_default_with_both_layers() -> None:
    steps = np.arange(1, 21)
    s = spec(charts.grad_norm_chart(steps, np.zeros(20), np.linspace(1, 2, 20)))
    assert any(sc.get("type") == "log" for sc in y_scales(s))
    rows = dataset_with(s, "series")
    assert {r["series"] for r in rows} == {"‖∇W1, ∇b1‖", "‖∇W2, ∇b2‖"}
    assert all(r["plot"] > 0 for r in rows)
    s = spec(charts.grad_norm_chart(steps, np.ones(20), np.ones(20), log_scale=False))
    assert not any(sc.get("type") == "log" for sc in y_scales(s))


# input_grid


def test_input_grid_two_features_spans_the_data_plus_margin() -> None:
    X = np.array([[0.0, -1.0, 5.0], [10.0, 1.0, 7.0], [5.0, 0.0, 6.0]])
    g1, g2, G = charts.input_grid(X, resolution=11, margin=0.1)
    assert g1.shape == (11,) and g2.shape == (11,) and G.shape == (121, 2)
    assert g1[0] == pytest.approx(-1.0) and g1[-1] == pytest.approx(11.0)
    assert g2[0] == pytest.approx(-1.2) and g2[-1] == pytest.approx(1.2)
    i, j = 3, 7
    assert tuple(G[j * 11 + i]) == (g1[i], g2[j])  # g1 varies fastest
    _, _, G3 = charts.input_grid(X, resolution=11, fill_others=True)
    assert G3.shape == (121, 3) and np.all(G3[:, 2] == 6.0)


def test_input_grid_one_feature_and_constant_columns() -> None:
    g1, g2, G = charts.input_grid(np.array([[1.0], [3.0]]), resolution=7)
    assert g1.shape == (7,) and g2.size == 0 and G.shape == (7, 1)
    assert np.array_equal(G[:, 0], g1)
    g1, g2, _ = charts.input_grid(np.array([[2.0, 0.0], [2.0, 0.0]]), resolution=5)
    assert g1[0] < 2.0 < g1[-1] and g2[0] < 0.0 < g2[-1]


# prediction_surface, fit_curve, y_vs_yhat


@pytest.mark.parametrize(
    ("name", "fields"), [("surface_focus", ("x1", "x2")), ("fit_focus", ("x", "y"))]
)
def test_the_focus_row_is_squared_said_and_drawn_on_top(name, fields) -> None:
    s = spec(all_charts()[name])
    top = s["layer"][-1]
    assert top["mark"]["type"] == "square" and top["mark"]["filled"] is False
    (point,) = s["datasets"][top["data"]["name"]]
    focus = {"surface_focus": (0.5, -0.5), "fit_focus": (0.25, 0.75)}[name]
    assert (point[fields[0]], point[fields[1]]) == focus
    label = {"surface_focus": "row #3", "fit_focus": "training row #7"}[name]
    assert f"square: {label}" in subtitle(s)
    assert f"{label} squared" in s["description"]


def test_prediction_surface_samples_points_and_shares_the_colour_scale() -> None:
    X = RNG.normal(size=(5000, 2))
    y = X[:, :1] * 3.0
    g1, g2, G = charts.input_grid(X, resolution=40)
    pred = G[:, 0]
    s = spec(charts.prediction_surface(g1, g2, pred, X, y, ["a", "b"], "t", max_points=1000))
    assert n_rows(s) <= charts.MAX_ROWS
    cells = dataset_with(s, "xlo")
    assert len(cells) == 40 * 40
    points = [rows for rows in datasets(s) if rows and "xlo" not in rows[0]]
    assert len(points) == 1 and len(points[0]) == 1000
    assert "1,000 of 5,000 points" in subtitle(s)
    domains = {tuple(sc["domain"]) for sc in colour_scales(s) if "domain" in sc}
    assert len(domains) == 1
    lo, hi = domains.pop()
    drawn = [r["value"] for r in cells + points[0]]
    assert lo == min(drawn) and hi == max(drawn)
    with pytest.raises(ValueError):
        charts.prediction_surface(g1, g2, pred[:-1], X, y, ["a", "b"], "t")


def test_big_prediction_grids_are_thinned_below_the_row_cap() -> None:
    X = RNG.normal(size=(100, 2))
    g1, g2, G = charts.input_grid(X, resolution=150)
    s = spec(charts.prediction_surface(g1, g2, G[:, 1], X, X[:, :1], ["a", "b"], "t"))
    assert n_rows(s) <= charts.MAX_ROWS
    assert "grid thinned" in subtitle(s)


def test_fit_curve_highlights_the_batch_and_samples_the_data() -> None:
    x = np.linspace(0, 1, 3000)
    xg = np.linspace(0, 1, 50)
    s = spec(
        charts.fit_curve(
            x, x**2, xg, xg**2, "x", "y", max_points=500, batch_x=x[:8], batch_y=x[:8] ** 2
        )
    )
    rows = dataset_with(s, "series")
    counts = {name: sum(r["series"] == name for r in rows) for name in {r["series"] for r in rows}}
    assert counts == {"data": 500, "prediction ŷ": 50, "current batch": 8}
    assert "500 of 3,000 data points" in subtitle(s)
    s = spec(charts.fit_curve(x[:10], x[:10], xg, xg, "x", "y"))
    assert {r["series"] for r in dataset_with(s, "series")} == {"data", "prediction ŷ"}
    assert "subtitle" not in s["title"]


def test_y_vs_yhat_samples_and_draws_the_diagonal() -> None:
    y = RNG.normal(size=(12_000, 1))
    s = spec(charts.y_vs_yhat(y, y * 0.9, "price", max_points=2000))
    assert len(dataset_with(s, "yhat")) == 2000
    assert "2,000 of 12,000 points" in subtitle(s)
    diagonal = dataset_with(s, "a")
    assert len(diagonal) == 2 and diagonal[0]["a"] < diagonal[1]["a"]
    assert "price" in s["title"]["text"]


# hidden_unit_maps


def test_hidden_unit_maps_two_features_wrap_and_stay_under_the_cap() -> None:
    X = RNG.normal(size=(50, 2))
    g1, g2, G = charts.input_grid(X, resolution=50)
    A1 = forward(init_params("xavier", 2, 8, seed=0), G).A1
    s = spec(charts.hidden_unit_maps(g1, g2, A1, ["a", "b"]))
    assert s["columns"] == 4
    assert s["facet"]["sort"] == [f"unit {j}" for j in range(1, 9)]
    rows = dataset_with(s, "unit")
    assert len(rows) <= charts.MAX_ROWS
    assert "grid thinned" in subtitle(s)
    assert all(0.0 <= r["value"] <= 1.0 for r in rows)
    (scale,) = colour_scales(s)
    assert scale == {"domain": [0, 1], "scheme": "viridis"}


def test_hidden_unit_maps_one_feature_draws_a_curve_per_unit() -> None:
    g1, g2, G = charts.input_grid(np.array([[0.0], [1.0]]), resolution=30)
    A1 = forward(init_params("xavier", 1, 3, seed=0), G).A1
    s = spec(charts.hidden_unit_maps(g1, g2, A1, ["x"]))
    rows = dataset_with(s, "unit")
    assert len(rows) == 90
    assert {r["unit"] for r in rows} == {"unit 1", "unit 2", "unit 3"}


# network_diagram


def edges_of(s: dict[str, Any]) -> list[dict[str, Any]]:
    return dataset_with(s, "weight")


@pytest.mark.parametrize(("n", "h"), [(1, 1), (2, 3), (4, 8)])
def test_network_diagram_has_one_edge_per_weight(n: int, h: int) -> None:
    p = init_params("normal", n, h, seed=4, scale=1.0)
    with_bias = edges_of(spec(charts.network_diagram(p, [f"f{i}" for i in range(n)])))
    assert len(with_bias) == n * h + h + h + 1
    without = edges_of(
        spec(charts.network_diagram(p, [f"f{i}" for i in range(n)], show_bias=False))
    )
    assert len(without) == n * h + h


def test_network_edge_width_grows_with_the_weight_and_names_it() -> None:
    p = init_params("normal", 3, 4, seed=2, scale=1.0)
    s = spec(charts.network_diagram(p, ["a", "b", "c"], "t"))
    edges = edges_of(s)
    weights = np.array([float(e["full"]) for e in edges])
    widths = np.array([e["width"] for e in edges])
    order = np.argsort(np.abs(weights), kind="stable")
    assert np.all(np.diff(widths[order]) >= 0)
    assert widths.max() == pytest.approx(8.0) and widths.min() >= 0.5
    by_name = {e["weight"].split(" = ")[0]: e for e in edges}
    w12 = p.W1[0, 1]
    assert by_name["W1[1,2]"]["weight"] == f"W1[1,2] = {charts.fmt_sig(w12, 4)}"
    assert by_name["W1[1,2]"]["sign"] == ("positive" if w12 > 0 else "negative")
    assert {"W2[4,1]", "b1[1,4]", "b2[1,1]"} <= set(by_name)
    assert all(
        "axis" in d and d["axis"] is None for d in walk(s) if "field" in d and d["field"] == "x"
    )


def test_network_with_all_zero_weights_is_safe() -> None:
    p = init_params("zeros", 2, 2)
    edges = edges_of(spec(charts.network_diagram(p, ["a", "b"])))
    assert {e["width"] for e in edges} == {0.5}
    assert {e["sign"] for e in edges} == {"zero"}


def test_edge_width_is_linear_between_the_limits() -> None:
    widths = charts.edge_width(np.array([0.0, 0.5, 1.0]), 1.0)
    assert widths.tolist() == [0.5, 4.25, 8.0]
    assert charts.edge_width(np.array([0.0]), 0.0).tolist() == [0.5]


def test_params_type_is_what_the_diagram_reads() -> None:
    p = Params.of(np.ones((1, 1)), np.zeros((1, 1)), -np.ones((1, 1)), np.zeros((1, 1)))
    edges = edges_of(spec(charts.network_diagram(p, ["x"])))
    signs = {e["weight"].split(" = ")[0]: e["sign"] for e in edges}
    assert signs["W1[1,1]"] == "positive" and signs["W2[1,1]"] == "negative"


def test_the_loss_chart_marks_the_shown_step_and_dashes_the_test_loss():
    steps = np.arange(1, 11)
    loss = np.linspace(1.0, 0.5, 10)
    spec = charts.loss_chart(steps, loss, loss, loss, marked_step=4)
    text = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    (marker,) = text
    data = pd.DataFrame(spec["datasets"][marker["data"]["name"]])
    assert data["step"].tolist() == [4.0] and data["label"].tolist() == ["step 4"]
    lines = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    dash = lines["encoding"]["strokeDash"]["scale"]
    assert dash["range"][dash["domain"].index("test loss")] == [8, 5]
    assert dash["range"][dash["domain"].index("train loss")] == [1, 0]
    assert not [layer for layer in charts.loss_chart(steps, loss, loss, loss)["layer"]
                if layer["mark"]["type"] == "text"]  # fmt: skip


def test_the_loss_axis_turns_log_when_the_losses_span_more_than_two_decades():
    assert not charts.spans_decades(np.array([1.0, 50.0]))
    assert charts.spans_decades(np.array([1.1, 160.0, 14_000.0]))
    assert not charts.spans_decades(np.array([np.nan, 0.0, -1.0, 3.0]))


# text alternatives: every spec's "description" (the chart's aria-label in the browser)


@pytest.mark.parametrize("name", list(all_charts()))
def test_every_chart_has_a_short_text_alternative(name: str) -> None:
    chart = all_charts()[name]
    text = chart["description"]
    assert isinstance(text, str) and text.endswith(".")
    assert 30 <= len(text) <= 700, text
    assert text != "Vega visualization"
    assert "nan" not in text.split() and "None" not in text


def test_loss_chart_describes_where_each_loss_went() -> None:
    steps = np.arange(1, 301)
    batch = np.linspace(0.78, 0.12, 300)
    train = np.full(300, np.nan)
    train[9::10] = np.linspace(0.7, 0.104, 30)
    test = np.full(300, np.nan)
    text = charts.loss_chart(steps, batch, train, test, marked_step=120)["description"]
    assert text.startswith("Loss per step (300 steps, 1 to 300)")
    assert "batch loss fell from 0.78 to 0.12" in text
    assert "train loss fell from 0.7 to 0.104" in text
    assert "no finite test loss values" in text
    assert "step 120 marked" in text
    one = charts.loss_chart(steps[:1], batch[:1], train[:1], np.array([0.5]))["description"]
    assert "step 1 only" in one and "batch loss 0.78" in one and "test loss 0.5" in one
    rising = charts.loss_chart(steps[:3], np.array([1.0, 2.0, np.inf]), batch[:3], batch[:3])
    assert "batch loss rose from 1 to 2" in rising["description"]
    assert "1 infinite value left out" in rising["description"]
    empty = charts.loss_chart(*(np.array([]),) * 4)["description"]
    assert empty == "Loss per step: Press Step to start training."


def test_grad_norm_chart_names_the_layers_in_words() -> None:
    steps = np.arange(1, 21)
    text = charts.grad_norm_chart(steps, np.linspace(2, 0.5, 20), np.full(20, 3e-5))["description"]
    assert "log scale" in text
    assert "layer 1 gradient norm (W1, b1) fell from 2 to 0.5" in text
    assert "layer 2 gradient norm (W2, b2) stayed at 3e\u22125" in text


def test_surface_fit_and_y_vs_yhat_descriptions_give_the_ranges() -> None:
    X = np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 0.0]])
    y = np.array([-1.5, 0.25, 3.0])
    g1, g2, G = charts.input_grid(X, resolution=5, margin=0.0)
    pred = np.linspace(-0.5, 1.5, G.shape[0])
    text = charts.prediction_surface(
        g1, g2, pred, X, y, ["size", "age"], "price", batch_rows=np.array([0, 2])
    )["description"]
    assert "Prediction of price over size and age" in text
    assert "size from 0 to 2" in text and "age from \u22121 to 1" in text
    assert "predicts price from \u22120.5 to 1.5" in text
    assert "3 data points with actual price from \u22121.5 to 3" in text
    assert "batch of 2 rows ringed" in text

    x = np.array([0.0, 1.0, 2.0, 3.0])
    xg = np.linspace(-1.0, 4.0, 6)
    text = charts.fit_curve(
        x, x**2, xg, 2 * xg, "x", "t", batch_x=x[:2], batch_y=np.array([0.0, 1.0])
    )["description"]
    assert "4 data points with t from 0 to 9" in text
    assert "runs from \u22122 at x = \u22121 to 8 at x = 4" in text
    assert "current batch: 2 points with t from 0 to 1" in text

    text = charts.y_vs_yhat(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0, 5.0]), "t")[
        "description"
    ]
    assert "for 4 points" in text
    assert "actual t from 0 to 3" in text and "predicted ŷ from 0 to 5" in text
    assert "root mean squared error 1" in text  # sqrt(4 / 4)


def test_fit_curve_draws_no_empty_layer() -> None:
    """An empty mark would be an unlabelled graphic to a screen reader (axe's svg-img-alt)."""
    x = np.linspace(0, 1, 5)
    s = charts.fit_curve(x, x, x, x, "x", "y")
    filters = [layer["transform"][0]["filter"] for layer in s["layer"]]
    assert filters == ["datum.series == 'data'", "datum.series == 'prediction ŷ'"]
    nothing = charts.fit_curve(*(np.array([]),) * 4, "x", "y")
    assert nothing["description"] == "Fit of y against x: No data."


def test_the_hover_rule_is_hidden_from_screen_readers() -> None:
    """Empty until hovered: a labelled graphic with nothing in it otherwise."""
    s = charts.loss_chart(np.arange(1, 4), *(np.ones(3),) * 3)
    hover = [layer for layer in s["layer"] if "transform" in layer]
    assert [layer["mark"]["type"] for layer in hover] == ["rule"]
    assert hover[0]["mark"]["aria"] is False


def test_hidden_unit_maps_describe_each_unit() -> None:
    g1 = np.linspace(0, 1, 3)
    A = np.column_stack([np.linspace(0.1, 0.9, 3), np.full(3, 0.5)])
    text = charts.hidden_unit_maps(g1, np.empty(0), A, ["x"])["description"]
    assert "each of 2 hidden units over x, one curve per unit" in text
    assert "unit 1 from 0.1 to 0.9; unit 2 all 0.5" in text
    many = charts.hidden_unit_maps(g1, np.empty(0), np.full((3, 11), 0.25), ["x"])["description"]
    assert "unit 8 all 0.25" in many and "unit 9" not in many and "3 more units not listed" in many


def test_heatmap_description_gives_the_shape_and_stays_the_same_from_step_to_step() -> None:
    M = RNG.normal(size=(16, 3))
    cols = ["h1", "h2", "h3"]
    text = charts.matrix_heatmap(M, "Z1", [f"r{i}" for i in range(16)], cols)["description"]
    assert text.startswith("Heatmap of Z1: 16 rows by 3 columns (h1, h2, h3)")
    assert "orange below 0 and blue above 0" in text
    # The numbers are left out on purpose: the spec must not change when only they do.
    other = charts.matrix_heatmap(3 * M, "Z1", [f"s{i}" for i in range(16)], cols)
    assert other["description"] == text
    big = charts.matrix_heatmap(np.ones((150, 2)), "A1", kind="unit")["description"]
    assert "150 rows by 2 columns (1, 2), the first 64 rows shown" in big
    assert "from 0 to 1" in big


def test_network_description_counts_the_weights_by_sign() -> None:
    W1, b1, W2, b2 = np.array([[1.5, -0.25]]), np.zeros((1, 2)), np.array([[-2.0], [0.5]]), 0.0
    p = Params.of(W1, b1, W2, np.full((1, 1), b2))
    text = charts.network_diagram(p, ["x"], "t")["description"]
    assert text.startswith("Network 1-2-1: input x feeds 2 sigmoid hidden units")
    assert "linear output t" in text
    assert "7 weights and biases: 2 positive, 2 negative, 3 zero" in text
    assert "largest in magnitude W2[1,1] = \u22122" in text
    text = charts.network_diagram(p, ["x"], "t", show_bias=False)["description"]
    assert "4 weights: 2 positive, 2 negative, 0 zero" in text


# enlarge_text (presenter mode)

FONT_KEYS = {"fontSize", "labelFontSize", "titleFontSize", "subtitleFontSize"}


def font_sizes(node: Any, path: str = "") -> dict[str, float]:
    """Every font size set in a spec by its path (datasets and inline data left out); a text
    mark's "size" counts as one."""
    found: dict[str, float] = {}
    if isinstance(node, dict):
        mark = node.get("mark")
        if isinstance(mark, dict) and mark.get("type") == "text" and "size" in mark:
            found[f"{path}/mark/size"] = mark["size"]
        for key, value in node.items():
            if key in ("datasets", "data"):
                continue
            if key in FONT_KEYS and isinstance(value, int | float):
                found[f"{path}/{key}"] = value
            else:
                found |= font_sizes(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found |= font_sizes(value, f"{path}/{i}")
    return found


def axes(s: dict[str, Any]) -> list[dict[str, Any]]:
    return [d["axis"] for d in walk(s) if isinstance(d.get("axis"), dict)]


@pytest.mark.parametrize("name", list(all_charts()))
def test_enlarged_charts_have_every_font_half_as_big_again(name: str) -> None:
    chart = all_charts()[name]
    before = json.dumps(spec(chart), sort_keys=True)
    big = charts.enlarge_text(chart, 1.5)
    assert json.dumps(spec(chart), sort_keys=True) == before  # the original is left alone
    schema_validator().validate(spec(big))
    sizes, enlarged = font_sizes(chart), font_sizes(big)
    assert sizes, "a chart without any font size"
    for path, size in sizes.items():
        assert enlarged[path] >= 1.5 * size, path
    # Sizes left to the defaults (Streamlit's theme: 12-16 px) are set, as large again.
    config = big["config"]
    assert config["axis"]["labelFontSize"] >= 1.5 * 14
    assert config["axis"]["titleFontSize"] >= 1.5 * 15
    assert config["legend"]["labelFontSize"] >= 1.5 * 14
    assert config["header"]["labelFontSize"] >= 1.5 * 14
    assert config["title"]["fontSize"] >= 1.5 * 19
    assert config["text"]["fontSize"] >= 1.5 * 13
    for ax in axes(big):  # every axis label of the chart at least 1.5 × the normal 14 px
        assert ax.get("labelFontSize", config["axis"]["labelFontSize"]) >= 21
    # The data are the very same DataFrames, unchanged.
    assert big["datasets"] is not chart["datasets"]
    assert set(big["datasets"]) == set(chart["datasets"])
    for key, frame in chart["datasets"].items():
        assert big["datasets"][key] is frame
    assert big["description"] == chart["description"]


def test_enlarge_text_scales_every_kind_of_font_size() -> None:
    frame = pd.DataFrame({"fontSize": [10.0], "t": ["a"]})
    s = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "test",
        "title": "Plain title",
        "data": {"values": [{"fontSize": 10, "t": "b"}]},
        "layer": [
            {
                "mark": {"type": "text", "size": 12, "limit": 100},
                "encoding": {
                    "text": {"field": "t", "type": "nominal"},
                    "size": {"condition": {"param": "p", "value": 20}, "value": 10},
                },
                "params": [{"name": "p", "select": "point"}],
            },
            {
                "data": {"name": "frame"},
                "mark": {"type": "text", "fontSize": {"expr": "width / 40"}},
                "encoding": {"text": {"field": "t", "type": "nominal"}},
            },
            {
                "mark": "text",
                "encoding": {
                    "text": {"field": "t", "type": "nominal"},
                    "size": {"field": "t", "type": "nominal", "scale": {"range": [8, 16]}},
                },
            },
        ],
        "config": {"axis": {"labelFontSize": 11}, "style": {"guide-label": {"fontSize": 9}}},
        "datasets": {"frame": frame},
    }
    big = charts.enlarge_text(s, 2)
    schema_validator().validate(spec(big))
    text, expr, sized = big["layer"]
    assert text["mark"] == {"type": "text", "size": 24, "limit": 200}
    assert text["encoding"]["size"] == {"condition": {"param": "p", "value": 40}, "value": 20}
    assert expr["mark"]["fontSize"] == {"expr": "(width / 40) * 2"}
    assert sized["encoding"]["size"]["scale"]["range"] == [16, 32]
    assert big["title"] == {"text": "Plain title"}
    assert big["config"]["axis"] == {"labelFontSize": 22, "titleFontSize": 30}
    assert big["config"]["style"]["guide-label"]["fontSize"] == 18
    assert big["config"]["title"]["fontSize"] == 38
    assert big["data"] == {"values": [{"fontSize": 10, "t": "b"}]}  # data are never touched
    assert big["datasets"]["frame"] is frame and frame["fontSize"].tolist() == [10.0]
    assert s["layer"][0]["mark"]["size"] == 12 and "title" not in s["config"]
    with pytest.raises(ValueError):
        charts.enlarge_text(s, 0)


def test_enlarging_a_spec_whose_layers_share_an_axis_enlarges_it_once():
    shared = charts.common.axis("x")
    spec = {
        "layer": [
            {
                "mark": "point",
                "encoding": {"x": {"field": "a", "type": "quantitative", "axis": shared}},
            },
            {
                "mark": "line",
                "encoding": {"x": {"field": "a", "type": "quantitative", "axis": shared}},
            },
        ]
    }
    big = charts.enlarge_text(spec, 1.5)
    sizes = [layer["encoding"]["x"]["axis"]["labelFontSize"] for layer in big["layer"]]
    assert sizes == [1.5 * charts.common.LABEL_SIZE] * 2
    assert shared["labelFontSize"] == charts.common.LABEL_SIZE  # the original is untouched
