"""Fixtures of the risk tests: a shadow warehouse (results written beside, the build shared)
and one quick training run on it."""

from __future__ import annotations

import os

import pytest

from klynge.risk import default_settings, train
from klynge.warehouse import current_build, open_warehouse


def make_shadow(warehouse, folder):
    """A warehouse folder whose current build is ``warehouse``'s: risk results go into ``folder``."""
    build = current_build(warehouse)
    (folder / "builds").mkdir(parents=True)
    (folder / "builds" / build.name).symlink_to(build)
    os.symlink(f"builds/{build.name}", folder / "current")
    return folder


@pytest.fixture(scope="session")
def shadow(synthetic_warehouse, tmp_path_factory):
    return make_shadow(synthetic_warehouse[0], tmp_path_factory.mktemp("risk") / "wh")


QUICK = {"max_train_rows": 60_000, "hgb_max_iter": 80, "hgb_learning_rate": 0.1, "threads": 1}


@pytest.fixture(scope="session")
def quick_settings(con):
    s = default_settings(con, **QUICK)
    return type(s)(**{**s.__dict__, "train_dates": s.train_dates[-4:]})


@pytest.fixture(scope="session")
def trained(shadow, quick_settings):
    return train(shadow, quick_settings)


@pytest.fixture(scope="session")
def shadow_con(shadow):
    return open_warehouse(shadow)
