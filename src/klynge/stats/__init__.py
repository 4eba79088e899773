"""Statistics for monitoring and evaluation.

Rate ratios, run and control charts (SPC), funnel plots, direct and indirect standardisation,
difference-in-differences and gain sharing. Everything here is computed from aggregate counts:
apply the privacy gate before showing results.
"""

from klynge.stats._did import DidResult, did
from klynge.stats._funnel import funnel
from klynge.stats._rates import RateRatio, RegressionTable, poisson_regression, rate_ratio
from klynge.stats._savings import SavingsAgreement, SharedSavings, shared_savings
from klynge.stats._spc import QicChart, qic
from klynge.stats._standardise import (
    DirectStandardisation,
    IndirectStandardisation,
    standardise_direct,
    standardise_direct_frame,
    standardise_indirect,
    standardise_indirect_frame,
)

__all__ = [
    "DidResult",
    "DirectStandardisation",
    "IndirectStandardisation",
    "QicChart",
    "RateRatio",
    "RegressionTable",
    "SavingsAgreement",
    "SharedSavings",
    "did",
    "funnel",
    "poisson_regression",
    "qic",
    "rate_ratio",
    "shared_savings",
    "standardise_direct",
    "standardise_direct_frame",
    "standardise_indirect",
    "standardise_indirect_frame",
]
