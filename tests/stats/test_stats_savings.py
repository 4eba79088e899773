"""shared_savings against a worked example calculated by hand (numbers in the comments)."""

from __future__ import annotations

import pandas as pd
import pytest

from klynge.stats import SavingsAgreement, SharedSavings, shared_savings

# Worked example (hand calculation):
#   baseline 2022: 65-79 years 10,000 citizens cost 90,000,000 -> 9,000 per citizen
#                  80+ years    4,000 citizens cost 72,000,000 -> 18,000 per citizen
#   2024:          65-79 years 10,500 citizens, 80+ 4,500 citizens, cost 95,000,000 + 80,000,000
#   adjusted baseline = (9,000 * 10,500 + 18,000 * 4,500) / 15,000 = 175,500,000 / 15,000 = 11,700
#   trend 2 % over 2 years: factor 1.02^2 = 1.0404; benchmark 11,700 * 1.0404 = 12,172.68 per citizen
#   benchmark total 12,172.68 * 15,000 = 182,590,200; actual 175,000,000; gross savings 7,590,200
#   savings rate 7,590,200 / 182,590,200 = 4.1570 % >= msr 2 %: shared
#   pool = 50 % * 7,590,200 = 3,795,100: Region 40 % 1,518,040; Aarhus 35 % 1,328,285; Favrskov 25 % 948,775
BASELINE = pd.DataFrame({"stratum": ["65-79", "80+"], "persons": [10_000, 4_000], "cost": [90e6, 72e6]})
ACTUAL = pd.DataFrame({"stratum": ["65-79", "80+"], "persons": [10_500, 4_500], "cost": [95e6, 80e6]})
TERMS = {
    "parties": {"Region Midtjylland": 0.40, "Aarhus": 0.35, "Favrskov": 0.25},
    "sharing_rate": 0.5,
    "msr": 0.02,
    "trend": 0.02,
}


def test_worked_example_by_hand():
    result = shared_savings(BASELINE, ACTUAL, TERMS, years=2)
    assert isinstance(result, SharedSavings)
    assert result.benchmark_per_citizen == pytest.approx(12_172.68)
    assert result.actual_per_citizen == pytest.approx(175e6 / 15_000)
    assert result.gross_savings == pytest.approx(7_590_200)
    assert result.savings_rate == pytest.approx(7_590_200 / 182_590_200)
    assert result.minimum_met and result.shared_pool == pytest.approx(3_795_100)
    assert result.party_amounts == pytest.approx(
        {"Region Midtjylland": 1_518_040, "Aarhus": 1_328_285, "Favrskov": 948_775}
    )


def test_explain_and_table_give_every_step():
    result = shared_savings(BASELINE, ACTUAL, TERMS, years=2)
    text = result.explain()
    assert "Age-sex adjusted baseline per citizen: DKK 11,700.00" in text
    assert "Trend factor: 1.0404" in text
    assert "Gross savings: DKK 7,590,200.00" in text
    assert "Savings rate: 4.16%" in text
    assert "Share to Aarhus: DKK 1,328,285.00. 35% of the shared pool." in text
    assert "(Bruttobesparelse)" in result.explain(danish_labels=True)
    table = result.table()
    assert list(table.columns) == ["step", "label", "value", "explanation"]
    assert table.set_index("step").loc["benchmark_total", "value"] == pytest.approx(182_590_200)
    assert "Pulje til deling" in result.table(danish_labels=True)["label"].tolist()
    assert len(text.splitlines()) == len(table) == 15


def test_below_minimum_savings_rate_nothing_is_shared():
    result = shared_savings(BASELINE, ACTUAL, TERMS | {"msr": 0.05}, years=2)
    assert not result.minimum_met and result.shared_pool == 0
    assert set(result.party_amounts.values()) == {0}
    assert "Not met: nothing is shared." in result.explain()


def test_losses_are_not_shared():
    costly = ACTUAL.assign(cost=[110e6, 90e6])
    result = shared_savings(BASELINE, costly, TERMS, years=2)
    assert result.gross_savings < 0 and result.shared_pool == 0 and not result.minimum_met


def test_only_savings_above_the_minimum_when_not_first_dollar():
    result = shared_savings(BASELINE, ACTUAL, TERMS | {"first_dollar": False}, years=2)
    # (7,590,200 - 2 % * 182,590,200) * 50 % = (7,590,200 - 3,651,804) / 2 = 1,969,198
    assert result.shared_pool == pytest.approx(1_969_198)


def test_agreement_from_yaml_and_toml(tmp_path):
    yaml_file = tmp_path / "aftale.yaml"
    yaml_file.write_text(
        "parties:\n  Region Midtjylland: 0.40\n  Aarhus: 0.35\n  Favrskov: 0.25\n"
        "sharing_rate: 0.5\nmsr: 0.02\ntrend: 0.02\n",
        encoding="utf-8",
    )
    toml_file = tmp_path / "aftale.toml"
    toml_file.write_text(
        'sharing_rate = 0.5\nmsr = 0.02\ntrend = 0.02\n[parties]\n"Region Midtjylland" = 0.40\n'
        "Aarhus = 0.35\nFavrskov = 0.25\n",
        encoding="utf-8",
    )
    from_dict = shared_savings(BASELINE, ACTUAL, TERMS, years=2)
    for source in (yaml_file, str(toml_file), SavingsAgreement.from_dict(TERMS)):
        assert shared_savings(BASELINE, ACTUAL, source, years=2).party_amounts == from_dict.party_amounts


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"parties": {"A": 0.5, "B": 0.4}, "sharing_rate": 0.5}, "sum to 1"),
        ({"parties": {"A": 1.2, "B": -0.2}, "sharing_rate": 0.5}, "share of 'A'"),
        ({"parties": {}, "sharing_rate": 0.5}, "at least one party"),
        ({"parties": {"A": 1}, "sharing_rate": 1.5}, "sharing_rate"),
        ({"parties": {"A": 1}, "sharing_rate": 0.5, "msr": -0.1}, "minimum_savings_rate"),
        ({"parties": {"A": 1}, "sharing_rate": 0.5, "trend": -1}, "annual_trend"),
        ({"parties": {"A": 1}, "sharing_rate": 0.5, "bonus": 1}, "unknown agreement keys: bonus"),
        ({"parties": {"A": 1}}, "needs 'parties' and 'sharing_rate'"),
    ],
)
def test_invalid_agreements(terms, message):
    with pytest.raises(ValueError, match=message):
        SavingsAgreement.from_dict(terms)


def test_invalid_data():
    with pytest.raises(ValueError, match="strata without a baseline: 90"):
        shared_savings(BASELINE, pd.DataFrame({"stratum": ["90"], "persons": [1], "cost": [1.0]}), TERMS)
    with pytest.raises(ValueError, match="actual lacks columns: cost"):
        shared_savings(BASELINE, ACTUAL.drop(columns="cost"), TERMS)
    with pytest.raises(ValueError, match="no baseline citizens"):
        shared_savings(BASELINE.assign(persons=[0, 4000]), ACTUAL, TERMS)
    with pytest.raises(ValueError, match="years must be"):
        shared_savings(BASELINE, ACTUAL, TERMS, years=-1)
    with pytest.raises(ValueError, match=".yaml, .yml or .toml"):
        SavingsAgreement.load(__file__)
