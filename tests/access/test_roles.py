"""Roles and the permission rules of `authorize`."""

from __future__ import annotations

import pytest

from klynge.access import PERMISSIONS, AccessDenied, Principal, Role, authorize

AGG = Principal("a", Role.AGGREGATE_ANALYST, "region:1083")
PSEUDO = Principal("p", Role.PSEUDONYMISED_ANALYST, "region:1083")
CLIN = Principal("c", Role.CLINICIAN, "municipality:461")
STEWARD = Principal("s", Role.DATA_STEWARD, "region:1083")


def test_role_values_are_the_config_strings():
    assert [r.value for r in Role] == ["aggregate_analyst", "pseudonymised_analyst", "clinician", "data_steward"]
    assert Principal("x", "clinician", "gp:1").role is Role.CLINICIAN


@pytest.mark.parametrize("org", ["461", "planet:1", "gp:", ""])
def test_organisation_format(org):
    with pytest.raises(ValueError):
        Principal("x", Role.CLINICIAN, org)


def test_aggregate_read_for_all():
    for p in (AGG, PSEUDO, CLIN, STEWARD):
        authorize(p, "aggregate.read")


def test_cohort_export_only_pseudonymised_analyst_and_steward():
    authorize(PSEUDO, "cohort.export")
    authorize(STEWARD, "cohort.export")
    for p in (AGG, CLIN):
        with pytest.raises(AccessDenied, match="may not cohort.export"):
            authorize(p, "cohort.export")


def test_clinician_needs_care_relation():
    with pytest.raises(AccessDenied, match="no care relation"):
        authorize(CLIN, "citizen.read")
    with pytest.raises(AccessDenied, match="no care relation"):
        authorize(CLIN, "citizen.read", has_care_relation=False)
    authorize(CLIN, "citizen.read", has_care_relation=True)


def test_viewer_block_needs_override():
    with pytest.raises(AccessDenied, match="blocked"):
        authorize(CLIN, "citizen.read", has_care_relation=True, viewer_blocked=True)
    authorize(CLIN, "citizen.read", has_care_relation=True, viewer_blocked=True, override=True)


def test_identity_actions_refused_to_analysts():
    for action in ("citizen.lookup", "citizen.export", "status.write", "consent.override"):
        for p in (AGG, PSEUDO, STEWARD):
            with pytest.raises(AccessDenied):
                authorize(p, action, has_care_relation=True)


def test_unknown_action_refused():
    with pytest.raises(AccessDenied, match="unknown action"):
        authorize(STEWARD, "everything")


def test_every_action_has_at_least_one_role():
    assert all(PERMISSIONS[a] for a in PERMISSIONS)
