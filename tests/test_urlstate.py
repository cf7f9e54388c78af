"""The configuration in the URL: short links, strict reading, round trips, never an exception."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.datasets import GENERATORS
from core.network import INIT_SCHEMES
from core.samples import SAMPLES, load_sample
from settings.links import (
    HIDE_SECTIONS,
    LR_OPTIONS,
    QUERY_NAMES,
    SHARED_KEYS,
    UNREADABLE,
    UPLOAD_NOTE,
    URL_DEFAULTS,
    Parsed,
    float_text,
    from_query,
    join_list,
    nearest_lr,
    share_note,
    split_list,
    to_query,
)
from settings.presets import PRESETS, preset_values
from settings.schema import DEFAULT, SETTINGS, as_values

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = {name: [str(c) for c in load_sample(name).frame.columns] for name in SAMPLES}
TEST_SHARES = [round(k * 0.05, 2) for k in range(11)]


def defaults() -> dict[str, object]:
    return {k: list(v) if isinstance(v, list) else v for k, v in URL_DEFAULTS.items()}


def check_valid(values: dict[str, object]) -> None:
    """Every value is of the widget's type and inside the widget's range."""
    assert list(values) == list(SHARED_KEYS)
    assert values["preset"] is None or values["preset"] in PRESETS
    assert values["source"] in ("Generate", "Sample dataset")
    assert values["gen_name"] in GENERATORS
    assert values["gen_inputs"] in GENERATORS[values["gen_name"]].n_inputs
    assert values["sample_name"] in SAMPLES
    assert values["init_scheme"] in INIT_SCHEMES
    for key, low, high in (
        ("gen_m", 10, 100_000),
        ("gen_seed", 0, 1_000_000),
        ("split_seed", 0, 1_000_000),
        ("n_hidden", 1, 8),
        ("init_seed", 0, 1_000_000),
        ("batch_size", 1, 100_000),
        ("shuffle_seed", 0, 1_000_000),
    ):
        assert type(values[key]) is int and low <= values[key] <= high, key
    for key, low, high in (("gen_noise", 0, 0.5), ("init_scale", 0, 100)):
        assert type(values[key]) is float and low <= values[key] <= high, key
    assert values["test_fraction"] in TEST_SHARES and type(values["test_fraction"]) is float
    assert values["lr"] in LR_OPTIONS and type(values["lr"]) is float
    for key in ("standardise_inputs", "standardise_target", "full_batch", "shuffle", "present"):
        assert type(values[key]) is bool, key
    hide = values["hide"]
    assert isinstance(hide, list) and set(hide) <= set(HIDE_SECTIONS)
    assert len(set(hide)) == len(hide)
    if values["source"] == "Sample dataset":
        columns = COLUMNS[values["sample_name"]]
        features = values["features"]
        assert values["target"] in columns
        assert isinstance(features, list) and 1 <= len(features) <= 4
        assert len(set(features)) == len(features) and set(features) <= set(columns)
        assert values["target"] not in features
    else:
        assert values["target"] is None and values["features"] == []


# ---- the constants agree with the sidebar ----------------------------------------------------


def test_every_setting_with_a_link_name_is_shared_with_the_schema_default():
    assert set(SHARED_KEYS) == {key for key, s in SETTINGS.items() if s.link}
    for key in SHARED_KEYS:
        assert URL_DEFAULTS[key] == as_values(DEFAULT)[key], key


def test_every_widget_key_travels_under_a_short_distinct_name():
    widgets = {
        "source", "gen_name", "gen_inputs", "gen_m", "gen_noise", "gen_seed", "sample_name",
        "target", "features", "test_fraction", "split_seed", "standardise_inputs",
        "standardise_target", "n_hidden", "init_scheme", "init_scale", "init_seed", "batch_size",
        "full_batch", "shuffle", "shuffle_seed", "lr", "eta", "preset", "present", "hide",
        "typed_columns", "typed_rows", "init_weights",
    }  # fmt: skip
    assert set(SHARED_KEYS) == widgets == set(URL_DEFAULTS)
    names = list(QUERY_NAMES.values())
    assert len(set(names)) == len(names)
    assert all(name.isalnum() and name.islower() and len(name) <= 7 for name in names)


# ---- writing ----------------------------------------------------------------------------------


def test_defaults_give_an_empty_query_and_an_empty_query_gives_defaults():
    assert to_query(defaults()) == {}
    assert to_query({}) == {}
    parsed = from_query({})
    assert isinstance(parsed, Parsed)
    assert parsed.values == defaults() and parsed.notices == []


def test_only_changed_values_are_written_in_short_readable_form():
    values = {
        **defaults(),
        "gen_name": "bowl",
        "gen_m": 500,
        "standardise_target": False,
        "init_scale": 0.25,
        "lr": 0.05,
        "present": True,
        "hide": ["data", "network"],
    }
    assert to_query(values) == {
        "fn": "bowl",
        "m": "500",
        "stdy": "0",
        "scale": "0.25",
        "lr": "0.05",
        "present": "1",
        "hide": "data,network",
    }


def test_floats_are_short_when_exact_and_repr_when_needed():
    assert float_text(0.1) == "0.1" and float_text(1e-4) == "0.0001" and float_text(10.0) == "10"
    assert float_text(1 / 3) == repr(1 / 3)
    assert float_text(0.123456789) == "0.123456789"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_reads_back_exactly(x):
    assert float(float_text(x)) == x


@given(st.lists(st.text()))
def test_list_encoding_survives_commas_and_backslashes(items):
    text = join_list(items)
    assert split_list(text) == items or (items == [""] and text == "")


def test_features_with_commas_travel():
    assert join_list(["a,b", "c\\d", "e"]) == "a\\,b,c\\\\d,e"
    assert split_list("a\\,b,c\\\\d,e") == ["a,b", "c\\d", "e"]


def test_a_preset_left_as_it_is_is_just_its_name():
    for name in PRESETS:
        assert to_query(preset_values(name)) == {"preset": name}
        changed = {**preset_values(name), "gen_seed": 7}
        assert to_query(changed) == {"preset": name, "dseed": "7"}


def test_sample_target_and_features_travel_only_when_not_the_samples_own():
    spec = SAMPLES["cars"]
    values = {
        **defaults(),
        "source": "Sample dataset",
        "sample_name": "cars",
        "target": spec.target,
        "features": list(spec.features),
    }
    assert to_query(values) == {"src": "sample"}
    values["features"] = ["weight_lbs"]
    assert to_query(values) == {"src": "sample", "feat": "weight_lbs"}
    # Left over from an earlier sample: meaningless with generated data, so not written.
    assert to_query({**values, "source": "Generate"}) == {}


def test_uploaded_data_does_not_travel_and_the_share_note_says_so():
    values = {**defaults(), "source": "Upload CSV", "target": "a", "features": ["b"], "lr": 0.1}
    assert to_query(values) == {"lr": "0.1"}
    assert share_note(values) == UPLOAD_NOTE
    assert UPLOAD_NOTE.startswith("Uploaded data cannot travel in a link; ")
    assert share_note(defaults()) is None
    assert share_note({**defaults(), "source": "Sample dataset"}) is None


def test_to_query_skips_values_it_cannot_encode():
    assert to_query({"gen_m": "lots", "lr": None, "n_hidden": 5}) == {"h": "5"}


# ---- reading ----------------------------------------------------------------------------------


def notice_for(params, name):
    parsed = from_query(params)
    found = [n for n in parsed.notices if f"“{name}”" in n]
    assert len(found) == 1, parsed.notices
    return parsed.values, found[0]


@pytest.mark.parametrize(
    ("name", "key", "bad"),
    [
        ("m", "gen_m", "9"),
        ("m", "gen_m", "100001"),
        ("m", "gen_m", "2.5"),
        ("m", "gen_m", "lots"),
        ("dseed", "gen_seed", "-1"),
        ("dseed", "gen_seed", "1000001"),
        ("sseed", "split_seed", "1e3"),
        ("wseed", "init_seed", ""),
        ("bseed", "shuffle_seed", "0x10"),
        ("h", "n_hidden", "0"),
        ("h", "n_hidden", "9"),
        ("bs", "batch_size", "0"),
        ("bs", "batch_size", "100001"),
        ("in", "gen_inputs", "3"),
        ("noise", "gen_noise", "0.51"),
        ("noise", "gen_noise", "-0.01"),
        ("noise", "gen_noise", "nan"),
        ("scale", "init_scale", "100.5"),
        ("scale", "init_scale", "inf"),
        ("scale", "init_scale", "1e400"),
        ("test", "test_fraction", "0.6"),
        ("test", "test_fraction", "-0.05"),
        ("lr", "lr", "0"),
        ("lr", "lr", "-1"),
        ("lr", "lr", "fast"),
        ("stdx", "standardise_inputs", "maybe"),
        ("full", "full_batch", "2"),
        ("present", "present", "yes please"),
        ("fn", "gen_name", "sinus"),
        ("init", "init_scheme", "glorot"),
        ("sample", "sample_name", "iris"),
        ("src", "source", "database"),
        ("preset", "preset", "best"),
    ],
)
def test_a_bad_value_falls_back_to_its_default_with_a_notice(name, key, bad):
    values, notice = notice_for({name: bad}, name)
    assert values[key] == URL_DEFAULTS[key]
    assert f"“{bad}”" in notice
    default = URL_DEFAULTS[key]
    if isinstance(default, bool) or default is None:
        shown = {True: "on", False: "off", None: "none"}[default]
    else:
        shown = f"{default:g}" if isinstance(default, float) else str(default)
    assert notice.endswith(f"using the default {shown}.")


def test_good_values_are_read_with_their_widget_types():
    parsed = from_query(
        {
            "fn": "Gaussian",
            "in": "1",
            "m": "1000",
            "noise": "0",
            "dseed": "1000000",
            "test": "0.5",
            "stdx": "false",
            "stdy": "0",
            "h": "8",
            "init": "normal",
            "scale": "5",
            "wseed": "12.0",
            "bs": "100000",
            "full": "true",
            "shuf": "off",
            "bseed": "3",
            "lr": "1e-4",
            "present": "1",
            "hide": "Controls, training",
        }
    )
    assert parsed.notices == []
    check_valid(parsed.values)
    v = parsed.values
    assert (v["gen_name"], v["gen_inputs"], v["gen_m"]) == ("gaussian", 1, 1000)
    assert v["gen_noise"] == 0.0 and v["test_fraction"] == 0.5
    assert (v["init_scale"], v["init_seed"], v["lr"]) == (5.0, 12, 1e-4)
    assert v["full_batch"] is True and v["shuffle"] is False and v["standardise_inputs"] is False
    assert v["hide"] == ["controls", "training"]


def test_learning_rate_snaps_to_the_nearest_offered_on_a_log_scale_and_says_so():
    assert nearest_lr(0.3) == 0.2 and nearest_lr(0.35) == 0.5
    assert nearest_lr(1e-9) == 1e-4 and nearest_lr(1e9) == 10.0
    values, notice = notice_for({"lr": "0.3"}, "lr")
    assert values["lr"] == 0.2 and "nearest, 0.2" in notice
    assert from_query({"lr": "0.50"}) == from_query({"lr": "5e-1"}) == from_query({})


def test_test_share_snaps_to_its_steps_and_says_so():
    values, notice = notice_for({"test": "0.23"}, "test")
    assert values["test_fraction"] == 0.25 and "nearest, 0.25" in notice
    assert from_query({"test": "0.15"}).values["test_fraction"] == 0.15
    assert from_query({"test": "0.15"}).notices == []


def test_uploaded_source_falls_back_to_generated_data_with_the_notice():
    parsed = from_query({"src": "upload", "target": "price", "feat": "size"})
    assert parsed.values == defaults()
    assert parsed.notices == [UPLOAD_NOTE]


def test_target_and_features_without_a_sample_are_ignored_with_a_notice():
    parsed = from_query({"target": "price"})
    assert parsed.values == defaults()
    assert len(parsed.notices) == 1 and "only used with a sample dataset" in parsed.notices[0]


def test_sample_columns_are_checked_against_the_sample():
    spec = SAMPLES["diabetes"]
    parsed = from_query({"src": "sample", "sample": "diabetes"})
    assert parsed.notices == []
    assert parsed.values["target"] == spec.target
    assert parsed.values["features"] == list(spec.features)
    parsed = from_query({"src": "sample", "sample": "diabetes", "target": "bmi"})
    assert parsed.notices == []
    assert parsed.values["target"] == "bmi"
    assert parsed.values["features"] == [f for f in spec.features if f != "bmi"]
    for bad in ("nope", f"{spec.features[0]},{spec.features[0]}", "", "bmi,nope", spec.target):
        values, notice = notice_for({"src": "sample", "sample": "diabetes", "feat": bad}, "feat")
        assert values["features"] == list(spec.features)
    values, notice = notice_for({"src": "sample", "sample": "diabetes", "target": "x"}, "target")
    assert values["target"] == spec.target and f"default {spec.target}" in notice


def test_unknown_parameters_are_ignored_in_one_notice():
    params = {f"extra{i}": "1" for i in range(8)}
    parsed = from_query({**params, "h": "4", "embed": "true", "embed_options": "dark_theme"})
    assert parsed.values == {**defaults(), "n_hidden": 4}
    assert len(parsed.notices) == 1
    assert "“extra0”" in parsed.notices[0] and "(and 3 more)" in parsed.notices[0]
    assert "embed" not in parsed.notices[0]


def test_repeated_parameters_use_the_last_value_and_say_so():
    parsed = from_query({"h": ["2", "5"]})
    assert parsed.values["n_hidden"] == 5
    assert parsed.notices == [
        "Link setting “h” (hidden units) appears 2 times; the last value, “5”, is used."
    ]
    assert from_query({"h": []}).values["n_hidden"] == URL_DEFAULTS["n_hidden"]
    assert from_query({"h": ["4"]}).notices == []


@pytest.mark.parametrize(
    ("name", "text"),
    [("m", "١٢٠"), ("m", "５０"), ("h", "３"), ("noise", "٠.١"), ("lr", "０.１")],
)
def test_digits_other_than_ascii_are_refused_with_a_notice(name, text):
    parsed = from_query({name: text})
    key = {"m": "gen_m", "h": "n_hidden", "noise": "gen_noise", "lr": "lr"}[name]
    assert parsed.values[key] == URL_DEFAULTS[key]
    assert len(parsed.notices) == 1 and f"“{name}”" in parsed.notices[0]


def test_bad_hide_entries_are_dropped_with_a_notice():
    values, notice = notice_for({"hide": "data,<b>x</b>,data,network"}, "hide")
    assert values["hide"] == ["data", "network"]
    assert "<b>x</b>" in notice


def test_notices_show_link_text_cut_short_and_without_control_characters():
    long = "9" * 100
    _, notice = notice_for({"m": long}, "m")
    assert "9" * 39 + "…" in notice and "9" * 40 not in notice
    _, notice = notice_for({"fn": "a\nb\x00c\u202ed"}, "fn")
    assert "“a b c d”" in notice
    huge = "1" * 100_000
    values, notice = notice_for({"lr": huge}, "lr")
    assert values["lr"] == URL_DEFAULTS["lr"] and len(notice) < 200


def test_a_preset_in_the_link_is_the_base_that_other_parameters_change():
    parsed = from_query({"preset": "zero-init", "lr": "0.1"})
    assert parsed.notices == []
    assert parsed.values == {**defaults(), **PRESETS["zero-init"].values, "preset": "zero-init",
                             "lr": 0.1}  # fmt: skip
    parsed = from_query({"preset": "Zero-Init", "m": "1"})
    assert parsed.values["gen_m"] == PRESETS["zero-init"].values["gen_m"]
    assert "using the default 200" in parsed.notices[0]


# ---- properties -------------------------------------------------------------------------------

NAMES = list(QUERY_NAMES.values())
PLAUSIBLE = st.sampled_from(
    ["", "0", "1", "-1", "2", "0.05", "0.5", "1e3", "1e-4", "nan", "inf", "upload", "sample",
     "generate", "sine", "zeros", "cars", "zero-init", "data,controls", "a\\,b", "\\", ",",
     "true", "1000001", "99999999999999999999", "miles_per_gallon", "horsepower,weight_lbs"]
)  # fmt: skip
RAW_VALUE = st.one_of(st.text(max_size=60), PLAUSIBLE)
PARAMS = st.dictionaries(
    st.one_of(st.sampled_from(NAMES), st.text(max_size=12)),
    st.one_of(RAW_VALUE, st.lists(RAW_VALUE, max_size=3)),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(PARAMS)
def test_from_query_never_raises_and_always_gives_valid_values(params):
    parsed = from_query(params)
    assert UNREADABLE not in parsed.notices
    check_valid(parsed.values)
    assert all(isinstance(n, str) and "\n" not in n for n in parsed.notices)
    # Whatever was read, writing it and reading it again gives the same, without complaint.
    again = from_query(to_query(parsed.values))
    assert again.values == parsed.values and again.notices == []


@st.composite
def valid_values(draw) -> dict[str, object]:
    gen_name = draw(st.sampled_from(list(GENERATORS)))
    source = draw(st.sampled_from(["Generate", "Sample dataset"]))
    sample = draw(st.sampled_from(list(SAMPLES)))
    target, features = None, []
    if source == "Sample dataset":
        columns = COLUMNS[sample]
        target = draw(st.sampled_from(columns))
        rest = [c for c in columns if c != target]
        features = draw(st.lists(st.sampled_from(rest), min_size=1, max_size=4, unique=True))
    seed = st.integers(0, 1_000_000)
    lrs = st.sampled_from(LR_OPTIONS)
    return {
        "preset": draw(st.none() | st.sampled_from(list(PRESETS))),
        "source": source,
        "gen_name": gen_name,
        "gen_inputs": draw(st.sampled_from(GENERATORS[gen_name].n_inputs)),
        "gen_m": draw(st.integers(10, 100_000)),
        "gen_noise": draw(st.floats(0, 0.5)),
        "gen_seed": draw(seed),
        "sample_name": sample,
        "target": target,
        "features": features,
        "test_fraction": draw(st.sampled_from(TEST_SHARES)),
        "split_seed": draw(seed),
        "standardise_inputs": draw(st.booleans()),
        "standardise_target": draw(st.booleans()),
        "n_hidden": draw(st.integers(1, 8)),
        "init_scheme": draw(st.sampled_from(INIT_SCHEMES)),
        "init_scale": draw(st.floats(0, 100)),
        "init_seed": draw(seed),
        "batch_size": draw(st.integers(1, 100_000)),
        "full_batch": draw(st.booleans()),
        "shuffle": draw(st.booleans()),
        "shuffle_seed": draw(seed),
        "lr": draw(st.sampled_from(LR_OPTIONS)),
        "eta": tuple(draw(st.lists(st.tuples(st.integers(1, 5_000), lrs), max_size=4))),
        "typed_columns": ["x1", "x2", "y"],
        "typed_rows": tuple(
            draw(st.lists(st.tuples(*[st.floats(-1e6, 1e6)] * 3), min_size=1, max_size=20))
        ),
        "init_weights": tuple(draw(st.lists(st.floats(-100, 100), max_size=13))),
        "present": draw(st.booleans()),
        "hide": draw(st.lists(st.sampled_from(HIDE_SECTIONS), unique=True)),
    }


@settings(max_examples=300, deadline=None)
@given(valid_values())
def test_round_trip_of_valid_values(values):
    query = to_query(values)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    parsed = from_query(query)
    assert parsed.notices == []
    assert parsed.values == values
    for key, value in values.items():
        assert type(parsed.values[key]) is type(value), key
    check_valid(parsed.values)


def test_round_trip_keeps_odd_but_valid_floats():
    values = {**defaults(), "gen_noise": 0.1 + 0.2 - 0.3 + 0.1, "init_scale": math.pi}
    assert from_query(to_query(values)).values == values


# ---- the η of the first steps ------------------------------------------------------------


def test_eta_changes_travel_and_read_back():
    values = {**defaults(), "eta": ((120, 0.5), (30, 0.1)), "lr": 0.2}
    query = to_query(values)
    assert query["eta"] == "120*0.5,30*0.1" and query["lr"] == "0.2"
    assert from_query(query).values["eta"] == ((120, 0.5), (30, 0.1))
    assert from_query(query).notices == []


@pytest.mark.parametrize("bad", ["120", "0*0.5", "10*0.3", "10*-1", "x*0.5", "10*0.5,5"])
def test_a_bad_eta_is_dropped_with_a_notice(bad):
    parsed = from_query({"eta": bad})
    assert parsed.values["eta"] == ()
    assert len(parsed.notices) == 1 and "“eta”" in parsed.notices[0]


def test_a_long_eta_history_stays_out_of_the_link_and_the_share_note_says_why():
    runs = tuple((1, LR_OPTIONS[k % 2]) for k in range(25))
    values = {**defaults(), "eta": runs}
    assert "eta" not in to_query(values)
    assert "more than 20 times" in share_note(values)
    too_long = ",".join(f"1*{LR_OPTIONS[k % 2]:g}" for k in range(25))
    assert from_query({"eta": too_long}).values["eta"] == ()
