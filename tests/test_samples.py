"""The real sample tables in data/."""

import numpy as np
import pytest

from core.datasets import Dataset
from core.loader import Table
from core.samples import DATA_DIR, SAMPLES, load_sample, load_sample_dataset


def test_there_are_at_least_two_samples_and_each_is_documented():
    assert len(SAMPLES) >= 2
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for key, spec in SAMPLES.items():
        assert spec.key == key
        assert spec.name and spec.description and spec.licence
        assert spec.title == spec.name
        assert f"`{spec.file_name}`" in readme


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_sample_file_is_small(key):
    assert SAMPLES[key].path.stat().st_size < 500 * 1024


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_sample_loads_with_its_default_columns(key):
    spec = SAMPLES[key]
    table = load_sample(key)
    assert isinstance(table, Table)
    assert table.frame.shape[0] >= 50
    assert table.dropped_rows == 0
    assert spec.target in table.frame.columns
    assert 1 <= len(spec.features) <= 2
    assert set(spec.features) <= set(table.frame.columns)
    assert spec.target not in spec.features


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_sample_dataset_has_varied_finite_values(key):
    spec = SAMPLES[key]
    data = load_sample_dataset(key)
    assert isinstance(data, Dataset)
    assert data.feature_names == spec.features and data.target_name == spec.target
    assert data.X.shape == (data.m, len(spec.features)) and data.m >= 50
    assert np.isfinite(data.X).all() and np.isfinite(data.y).all()
    assert (data.X.std(axis=0) > 0).all() and data.y.std() > 0


def test_known_values_of_the_samples():
    cars = load_sample("cars").frame
    assert len(cars) == 392
    first = cars.iloc[0]  # chevrolet chevelle malibu, 1970
    assert (first["horsepower"], first["weight_lbs"], first["miles_per_gallon"]) == (
        130.0,
        3504.0,
        18.0,
    )
    diabetes = load_sample("diabetes").frame
    assert len(diabetes) == 442
    assert diabetes.iloc[0][["bmi", "blood_pressure", "disease_progression"]].tolist() == [
        32.1,
        101.0,
        151.0,
    ]


def test_unknown_sample_raises():
    with pytest.raises(ValueError, match="cars"):
        load_sample("nope")
