"""Users: argon2id password hashes, sessions and throttling of failed logins."""

from __future__ import annotations

import sqlite3

import pytest
from argon2 import PasswordHasher

from klynge.access import Role
from klynge.access._users import LoginThrottled, Throttle, UserStore, state_path

PW = "correct horse battery staple"


def test_password_is_stored_as_argon2id_hash(tmp_path):
    users = UserStore(tmp_path)
    users.add("anna", Role.CLINICIAN, "municipality:461", PW)
    with sqlite3.connect(state_path(tmp_path)) as db:
        stored = db.execute("SELECT password_hash FROM users WHERE user='anna'").fetchone()[0]
    db.close()
    assert stored.startswith("$argon2id$") and PW not in stored
    assert PasswordHasher().verify(stored, PW)   # an independent verifier accepts it
    raw = state_path(tmp_path).read_bytes()
    assert PW.encode() not in raw


def test_short_password_refused(tmp_path):
    with pytest.raises(ValueError):
        UserStore(tmp_path).add("a", Role.CLINICIAN, "gp:1", "short")


def test_login_session_logout(tmp_path):
    users = UserStore(tmp_path)
    users.add("anna", Role.CLINICIAN, "municipality:461", PW)
    assert users.login("anna", "wrong password!!") is None
    assert users.login("nobody", PW) is None
    session = users.login("anna", PW)
    assert session.principal.organisation == "municipality:461"
    assert users.principal_for_token(session.token).user == "anna"
    assert users.principal_for_token(session.token + "x") is None
    with sqlite3.connect(state_path(tmp_path)) as db:   # tokens are stored hashed only
        stored = [r[0] for r in db.execute("SELECT token_hash FROM sessions")]
    db.close()
    assert session.token not in stored and len(stored) == 1
    users.logout(session.token)
    assert users.principal_for_token(session.token) is None


def test_deactivated_user_loses_sessions(tmp_path):
    users = UserStore(tmp_path)
    users.add("anna", Role.CLINICIAN, "municipality:461", PW)
    s = users.login("anna", PW)
    users.deactivate("anna")
    assert users.principal_for_token(s.token) is None
    assert users.login("anna", PW) is None


def test_throttle_per_user(tmp_path):
    users = UserStore(tmp_path, throttle=Throttle(max_failures=3, window_s=600))
    users.add("anna", Role.CLINICIAN, "municipality:461", PW)
    for i in range(3):
        assert users.login("anna", f"wrong password {i}", client=f"10.0.0.{i}") is None
    with pytest.raises(LoginThrottled) as err:
        users.login("anna", PW, client="10.0.0.9")      # even the right password waits
    assert 1 <= err.value.retry_after <= 601


def test_throttle_per_client(tmp_path):
    users = UserStore(tmp_path, throttle=Throttle(max_failures=3, window_s=600))
    users.add("bo", Role.CLINICIAN, "gp:1", PW)
    for i in range(3):
        users.login(f"guess{i}", "wrong password!!", client="10.9.9.9")
    with pytest.raises(LoginThrottled):
        users.login("bo", PW, client="10.9.9.9")
    assert users.login("bo", PW, client="10.1.1.1") is not None


def test_throttle_window_expires(tmp_path):
    users = UserStore(tmp_path, throttle=Throttle(max_failures=2, window_s=600))
    users.add("anna", Role.CLINICIAN, "municipality:461", PW)
    users.login("anna", "wrong password!!")
    users.login("anna", "wrong password!!")
    with sqlite3.connect(state_path(tmp_path)) as db:   # age the failures beyond the window
        db.execute("UPDATE failed_logins SET at = at - 601")
    db.close()
    assert users.login("anna", PW) is not None
