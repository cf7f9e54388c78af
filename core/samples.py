"""Real sample tables shipped in the project's data/ folder (sources in data/README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.datasets import Dataset
from core.loader import Table, read_table, to_dataset

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class SampleSpec:
    """A sample CSV file and the columns to start with."""

    key: str
    name: str
    file_name: str
    description: str
    target: str
    features: tuple[str, ...]
    licence: str

    @property
    def title(self) -> str:
        """The display name (same as ``name``)."""
        return self.name

    @property
    def path(self) -> Path:
        return DATA_DIR / self.file_name


SAMPLES: dict[str, SampleSpec] = {
    spec.key: spec
    for spec in (
        SampleSpec(
            key="cars",
            name="Car fuel economy",
            file_name="cars.csv",
            description=(
                "392 cars from 1970-1982: predict miles per gallon from horsepower and weight."
            ),
            target="miles_per_gallon",
            features=("horsepower", "weight_lbs"),
            licence="Auto MPG data (StatLib, CMU) via the vega_datasets package, MIT licence.",
        ),
        SampleSpec(
            key="diabetes",
            name="Diabetes progression",
            file_name="diabetes.csv",
            description=(
                "442 patients: predict disease progression after one year from body mass index "
                "and blood pressure."
            ),
            target="disease_progression",
            features=("bmi", "blood_pressure"),
            licence="Efron et al. (2004) via scikit-learn, BSD 3-Clause licence.",
        ),
        SampleSpec(
            key="seattle",
            name="Seattle temperature",
            file_name="seattle_weather.csv",
            description=(
                "1461 days of Seattle weather: predict the day's maximum temperature from the "
                "day of the year (a seasonal wave)."
            ),
            target="temp_max_c",
            features=("day_of_year",),
            licence="NOAA data (public domain) via the vega_datasets package, MIT licence.",
        ),
    )
}


def _spec(key: str) -> SampleSpec:
    if key not in SAMPLES:
        raise ValueError(f"Unknown sample {key!r}; choose one of: {', '.join(SAMPLES)}.")
    return SAMPLES[key]


def load_sample(key: str) -> Table:
    """Read the sample's CSV file through the same loader as an upload."""
    return read_table(_spec(key).path.read_bytes())


def load_sample_dataset(key: str) -> Dataset:
    """The sample with its default target and features, as a `Dataset`."""
    spec = _spec(key)
    source = f"{spec.name} ({spec.file_name})"
    return to_dataset(load_sample(key), spec.target, list(spec.features), source)
