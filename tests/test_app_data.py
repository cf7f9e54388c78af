"""AppTest suite, part 2: where the data comes from (generator, sample tables, uploaded CSV)."""

from __future__ import annotations

import pandas as pd
import pytest
from app_helpers import (
    csv_bytes,
    errors,
    frame,
    infos,
    metrics,
    new_app,
    ok,
    show,
    shown_text,
    step,
    step_count,
    tables,
    upload,
)


def source(at, value: str):
    return ok(at.radio(key="source").set_value(value).run())


def raw_values(at):
    """Switch both standardisations off so that the tables show the data's own numbers."""
    ok(at.toggle(key="standardise_inputs").set_value(False).run())
    return ok(at.toggle(key="standardise_target").set_value(False).run())


def sidebar_captions(at) -> list[str]:
    return [shown_text(c.value) for c in at.sidebar.caption]


def csv_rows(data: bytes) -> set[tuple[float, ...]]:
    lines = data.decode().strip().splitlines()[1:]
    return {tuple(float(v) for v in line.split(",")) for line in lines}


# ---- uploaded CSV --------------------------------------------------------------------------


def test_upload_source_keeps_the_previous_data_until_a_file_arrives():
    at = step(new_app(), 2)
    before = frame(at, "X | y").copy()
    source(at, "Upload CSV")
    assert at.file_uploader(key="upload") is not None
    assert step_count(at) == 2
    assert any("Upload a CSV" in text for text in infos(at))
    pd.testing.assert_frame_equal(frame(at, "X | y"), before)


def test_an_uploaded_csv_flows_through_to_the_tables():
    at = step(new_app())
    source(at, "Upload CSV")
    data = csv_bytes(30)
    upload(at, "d.csv", data)
    assert not errors(at)
    assert any("30 usable rows" in text for text in sidebar_captions(at))
    assert at.selectbox(key="target").value == "c"
    assert at.multiselect(key="features").value == ["a", "b"]
    assert step_count(at) == 0
    assert any("data changed" in text and "restarted" in text for text in infos(at))
    assert metrics(at)["Next batch"] == "1 of 2"  # 24 training rows in batches of 16

    raw_values(at)
    step(at)
    shown = tables(at)["X | y"]
    assert list(shown.frame.columns) == ["x1 a", "x2 b", "y"]
    assert shown.header_shape == shown.frame.shape == (16, 3)
    rows = csv_rows(data)
    assert all(tuple(r) in rows for r in shown.frame.to_numpy())
    step(at)  # the last, shorter batch of the epoch
    assert tables(at)["X | y"].header_shape == (8, 3)
    assert tables(at)["Z1"].frame.shape == (8, 3)


def test_target_and_features_of_an_upload():
    at = source(new_app(), "Upload CSV")
    upload(at, "d.csv", csv_bytes(30))
    ok(at.selectbox(key="target").set_value("a").run())
    assert "a" not in at.multiselect(key="features").options
    ok(at.multiselect(key="features").set_value(["c"]).run())
    assert step_count(at) == 0
    raw_values(at)
    step(at)
    shown = tables(at)["X | y"]
    assert list(shown.frame.columns) == ["x1 c", "y"]
    assert shown.header_shape == (16, 2)
    assert set(shown.frame["y"]) <= set(range(-3, 4))  # column a holds -3..3


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("junk.csv", bytes(range(256)) * 4, "binary"),
        ("one.csv", b"n,label\n1,x\n2,y\n3,z\n4,w\n5,v\n6,u\n", "one column"),
    ],
)
def test_a_bad_upload_keeps_the_previous_data_with_a_clear_error(name, data, reason):
    at = source(new_app(), "Upload CSV")
    upload(at, "d.csv", csv_bytes(30))
    step(at, 2)
    before = frame(at, "X | y").copy()
    upload(at, name, data)
    messages = [text for text in errors(at) if name in text]
    assert len(messages) == 1
    assert "not loaded" in messages[0]
    assert reason in messages[0].lower()
    assert step_count(at) == 2
    assert at.selectbox(key="target").value == "c"
    assert at.multiselect(key="features").value == ["a", "b"]
    pd.testing.assert_frame_equal(frame(at, "X | y"), before)
    step(at)
    assert step_count(at) == 3

    upload(at, "again.csv", csv_bytes(40))  # a good file clears the error
    assert not errors(at)
    assert any("40 usable rows" in text for text in sidebar_captions(at))


def test_a_bad_first_upload_keeps_the_generated_data():
    at = step(new_app())
    source(at, "Upload CSV")
    upload(at, "junk.csv", bytes(range(256)))
    assert any("junk.csv" in text for text in errors(at))
    assert step_count(at) == 1
    assert any("Upload a CSV" in text for text in infos(at))


# ---- sample datasets -----------------------------------------------------------------------


def test_sample_datasets_set_their_target_and_features():
    at = step(new_app())
    source(at, "Sample dataset")
    assert at.selectbox(key="target").value == "miles_per_gallon"
    assert at.multiselect(key="features").value == ["horsepower", "weight_lbs"]
    assert any("392 cars" in text for text in sidebar_captions(at))
    assert step_count(at) == 0
    assert any("restarted" in text for text in infos(at))
    step(at)
    assert list(frame(at, "X | y").columns) == ["x1 horsepower", "x2 weight_lbs", "y"]

    ok(at.selectbox(key="sample_name").set_value("seattle").run())
    assert at.selectbox(key="target").value == "temp_max_c"
    step(at)
    shown = tables(at)["X | y"]
    assert list(shown.frame.columns) == ["x1 day_of_year", "y"]
    assert shown.header_shape == (16, 2)

    ok(at.selectbox(key="sample_name").set_value("diabetes").run())
    assert at.selectbox(key="target").value == "disease_progression"
    step(at)
    assert list(frame(at, "X | y").columns) == ["x1 bmi", "x2 blood_pressure", "y"]


def test_sample_target_and_features_can_be_changed():
    at = raw_values(source(new_app(), "Sample dataset"))
    ok(
        at.multiselect(key="features")
        .set_value(["horsepower", "weight_lbs", "acceleration_0_60_s"])
        .run()
    )
    step(at)
    assert tables(at)["X | y"].header_shape == (16, 4)
    assert tables(show(at, "Backward pass"))["∇W1"].header_shape == (3, 3)
    show(at, "Forward pass")
    ok(at.selectbox(key="target").set_value("weight_lbs").run())
    assert "weight_lbs" not in at.multiselect(key="features").value
    step(at)
    y = frame(at, "X | y")["y"]
    assert (y > 1000).all()  # car weights in pounds, not miles per gallon


def test_no_features_gives_an_error_and_keeps_the_run():
    at = step(source(new_app(), "Sample dataset"), 2)
    before = frame(at, "X | y").copy()
    ok(at.multiselect(key="features").set_value([]).run())
    assert any("between 1 and 4" in text for text in errors(at))
    assert step_count(at) == 2
    pd.testing.assert_frame_equal(frame(at, "X | y"), before)


def test_the_error_goes_once_the_features_are_valid_again():
    at = step(source(new_app(), "Sample dataset"))
    ok(at.multiselect(key="features").set_value([]).run())
    assert errors(at)
    ok(at.multiselect(key="features").set_value(["horsepower", "weight_lbs"]).run())
    assert step_count(at) == 1
    assert not errors(at)


# ---- switching sources ---------------------------------------------------------------------


def test_switching_source_away_and_back_keeps_the_generator_settings():
    at = new_app()
    ok(at.number_input(key="gen_m").set_value(50).run())
    ok(at.slider(key="test_fraction").set_value(0.5).run())
    step(at, 2)
    source(at, "Upload CSV")  # no file yet: the run stays
    source(at, "Generate")
    assert at.number_input(key="gen_m").value == 50
    assert at.slider(key="test_fraction").value == 0.5
    assert step_count(at) == 2
    assert not any("restarted" in text for text in infos(at))

    source(at, "Sample dataset")
    source(at, "Generate")
    assert at.number_input(key="gen_m").value == 50
    assert metrics(at)["Next batch"] == "1 of 2"  # 25 training rows


def test_an_upload_survives_a_trip_to_another_source():
    at = source(new_app(), "Upload CSV")
    upload(at, "d.csv", csv_bytes(30))
    source(at, "Generate")
    assert metrics(at)["Next batch"] == "1 of 10"
    source(at, "Upload CSV")
    assert any("30 usable rows" in text for text in sidebar_captions(at))
    assert metrics(at)["Next batch"] == "1 of 2"
    step(at)
    assert list(frame(at, "X | y").columns) == ["x1 a", "x2 b", "y"]


@pytest.mark.parametrize("rows", [1, 2, 4])
def test_an_upload_of_a_few_rows_trains_with_all_of_them(rows):
    at = source(new_app(), "Upload CSV")
    data = "a,b,y\n" + "".join(f"{i},{2 * i + 1},{i % 3}\n" for i in range(rows))
    upload(at, "tiny.csv", data.encode())
    assert not errors(at)
    step(at, 3)
    assert step_count(at) == 3
    train_rows = rows - round(0.2 * rows) if rows > 1 else 1
    assert any(f"only {train_rows:,} training rows" in text for text in sidebar_captions(at))
    assert tables(at)["X | y"].header_shape == (train_rows, 3)
    if train_rows == rows:
        assert metrics(at)["Test loss"] == "—"
        assert any("No test rows" in str(c.value) for c in at.caption)
