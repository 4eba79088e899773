"""Cost per citizen with given unit prices, worked out by hand, and the unit-price files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from marts_support import Source, opened, rows

from klynge.marts import cost_per_citizen, load_unit_prices

PRICES = {
    "hospital": {
        "acute_admission": {"per_stay": 1000, "per_bed_day": 100},
        "planned_admission": {"per_stay": 2000, "per_bed_day": 200},
        "emergency_visit": 300, "outpatient_physical": 50, "outpatient_virtual": 20,
        "outpatient_home_visit": 40,
    },
    "municipality": {"per_hour": {"personal_care": 60}, "per_day": {"nursing_home": 10}},
    "gp": {"per_contact": {"consultation": 7, "phone": 3}},
    "medicine": {"per_ddd": 1, "per_ddd_by_atc_group": {"C": 2}},
}


@pytest.fixture(scope="module")
def cost_con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Q1-Q3 in 101 all of 2023-2024 (Q2 dies 2024-02-15); Q4 moves away on 2024-01-01."""
    s = Source()
    for pid in ("Q1", "Q3"):
        s.person(pid)
    s.person("Q2", death="2024-02-15")
    s.person("Q4", resident_to="2024-01-01")
    s.contact("Q1", "2024-03-01 10:00", "2024-03-04 09:00", priority="ATA1")  # acute admission, 3 nights
    s.contact("Q1", "2024-04-02 09:00", "2024-04-02 09:30")  # one planned outpatient stay ...
    s.contact("Q1", "2024-04-02 10:00", "2024-04-02 10:30")  # ... of two physical contacts
    s.contact("Q1", "2024-05-05 20:00", "2024-05-05 23:00", priority="ATA1")  # emergency visit
    s.contact("Q1", "2024-06-01 10:00", "2024-06-01 10:15", kind="ALCA03")  # virtual
    s.contact("Q1", "2024-07-01 10:00", "2024-07-01 11:00", kind="ALCA10")  # home visit
    s.service("Q1", "personal_care", "2024-01-01", "2024-01-29", minutes=120)  # 4 weeks × 2 h
    s.service("Q1", "nursing_home", "2024-12-22")  # 10 days in 2024
    s.service("Q1", "practical_help", "2024-02-01", "2024-03-01")  # no minutes: costs 0
    s.gp("Q1", "2024-01-10")
    s.gp("Q1", "2024-02-10")
    s.gp("Q1", "2024-03-10", "phone")
    s.rx("Q1", "2024-01-05", "C07AB02", 30)
    s.rx("Q1", "2024-01-05", "N02BE01", 10)
    s.rx("Q1", "2024-01-05", "A10BA02")  # no DDD: costs 0
    s.service("Q2", "nursing_home", "2023-01-01")  # until death: 365 days, then 45 days
    s.contact("Q2", "2023-06-01 08:00", "2023-06-02 08:00")  # planned admission, 1 night
    s.contact("Q3", "2023-12-30 12:00", "2024-01-02 12:00", priority="ATA1")  # to its admission year
    s.gp("Q4", "2024-03-01")  # not resident in 2024: not costed
    with opened(s.build(tmp_path_factory.mktemp("cost"))) as con:
        yield con


def test_cost_by_sector_with_given_prices(cost_con: Any) -> None:
    t = cost_per_citizen(cost_con, prices=PRICES, gated=False)
    assert set(t.municipality_code) == {"101"} and set(t.age_band) == {"70-74"}
    got = rows(t, "period", "sector", "cost", "users", "persons")
    assert got == [
        # 2023: Q2 planned admission 2000 + 200, Q3 acute admission 1000 + 3 × 100;
        # Q2 nursing home 365 × 10; Q1-Q4 in the population.
        ("2023", "gp", 0.0, 0, 4),
        ("2023", "hospital", 3500.0, 2, 4),
        ("2023", "medicine", 0.0, 0, 4),
        ("2023", "municipality", 3650.0, 1, 4),
        # 2024: Q1 gp 7 + 7 + 3; hospital 1000 + 3 × 100 + 2 × 50 + 300 + 20 + 40;
        # medicine 30 × 2 + 10 × 1; municipality Q1 8 h × 60 + 10 × 10, Q2 45 days × 10.
        ("2024", "gp", 17.0, 1, 3),
        ("2024", "hospital", 1760.0, 1, 3),
        ("2024", "medicine", 70.0, 1, 3),
        ("2024", "municipality", 1030.0, 2, 3),
    ]
    assert t.cost_per_citizen.tolist() == pytest.approx([c / p for _, _, c, _, p in got])


def test_cost_by_quarter(cost_con: Any) -> None:
    t = cost_per_citizen(cost_con, "quarter", prices=PRICES, gated=False)
    hospital = t[(t.sector == "hospital") & (t.period.str.startswith("2024"))]
    # Q1 acute admission; Q2 outpatient stay, emergency visit, virtual contact; Q3 home visit.
    assert hospital.cost.tolist() == [1300.0, 100.0 + 300.0 + 20.0, 40.0, 0.0]
    municipality = t[(t.sector == "municipality") & (t.period.str.startswith("2024"))]
    assert municipality.cost.tolist() == [480.0 + 450.0, 0.0, 0.0, 100.0]
    assert municipality.users.tolist() == [2, 0, 0, 1]


def test_gated_cost_hides_costs_of_few_users(cost_con: Any) -> None:
    t = cost_per_citizen(cost_con, prices=PRICES)
    assert t.cost.isna().tolist() == [c > 0 for c in t.users_suppressed]
    assert t.persons.isna().all()  # 3-4 persons per cell


def test_unit_prices_from_a_user_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("gp:\n  per_contact:\n    phone: 55\nmedicine:\n  per_ddd_by_atc_group:\n    Z: 9\n",
                    encoding="utf-8")
    prices = load_unit_prices(path)
    assert prices["gp"]["per_contact"]["phone"] == 55
    assert prices["gp"]["per_contact"]["consultation"] == load_unit_prices()["gp"]["per_contact"]["consultation"]
    # The ATC-group map is replaced as a whole: the packaged groups are gone.
    assert prices["medicine"]["per_ddd_by_atc_group"] == {"Z": 9}


@pytest.mark.parametrize(("override", "message"), [
    ({"hospital": {"acute_admision": {"per_stay": 1}}}, "unknown unit price 'hospital.acute_admision'"),
    ({"gp": {"per_contact": {"phone": -1}}}, "must be a number >= 0"),
    ({"gp": {"per_contact": {"phone": "cheap"}}}, "must be a number >= 0"),
    ({"municipality": {"per_day": {"personal_care": 1}}}, "unknown unit price 'municipality.per_day.personal_care'"),
    ({"medicine": {"per_ddd_by_atc_group": {"c": 1}}}, "one capital letter"),
])
def test_bad_unit_prices_are_refused(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_unit_prices(override)


def test_unit_prices_must_be_mappings(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="'gp' must be a mapping"):
        load_unit_prices({"gp": "cheap"})
    path = tmp_path / "prices.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(TypeError, match="must hold a mapping"):
        load_unit_prices(path)


def _leaves(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in node.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            yield from _leaves(value, here)
        else:
            yield here, value


def test_every_packaged_price_is_documented() -> None:
    root = Path(__file__).parents[2]
    prices = load_unit_prices()
    docs = (root / "docs/overview.md").read_text(encoding="utf-8").splitlines()
    text = (root / "src/klynge/marts/unit_prices.yaml").read_text(encoding="utf-8")
    assert prices["currency"] == "DKK" and text.count("[A]") + text.count("[S]") >= 12
    for section in ("hospital", "municipality", "gp", "medicine"):
        for path, value in _leaves(prices[section], section):
            # A row of the price table in the docs names the price and its value.
            assert any(f"`{path}`" in line and f"| {value:g} |" in line for line in docs), path
