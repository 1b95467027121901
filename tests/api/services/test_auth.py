"""Staff accounts, sessions, the role matrix and the login throttle, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from api.models.users import AuthSession, User
from api.services import auth

PASSWORD = "s3cret-enough"


def test_password_is_stored_as_argon2_hash_and_checked(db_session: Session) -> None:
    user = auth.create_user(db_session, username="chen", password=PASSWORD, roles=["agent", "editor"])
    row = db_session.get(User, user.id)
    assert row is not None and row.password_hash.startswith("$argon2") and PASSWORD not in row.password_hash
    assert auth.authenticate(db_session, username="chen", password=PASSWORD) == user
    assert auth.authenticate(db_session, username="chen", password="wrong-password") is None
    assert auth.authenticate(db_session, username="nobody", password=PASSWORD) is None
    assert user.roles == ["agent", "editor"]


def test_create_user_refuses_weak_password_unknown_role_and_duplicates(db_session: Session) -> None:
    with pytest.raises(auth.WeakPassword):
        auth.create_user(db_session, username="a", password="short", roles=["agent"])
    with pytest.raises(auth.BadRole):
        auth.create_user(db_session, username="a", password=PASSWORD, roles=["root"])
    with pytest.raises(auth.BadRole):
        auth.create_user(db_session, username="a", password=PASSWORD, roles=[])
    auth.create_user(db_session, username="a", password=PASSWORD, roles=["agent"])
    with pytest.raises(auth.UserExists):
        auth.create_user(db_session, username="a", password=PASSWORD, roles=["agent"])


def test_session_tokens_are_hashed_expire_and_revoke(db_session: Session) -> None:
    user = auth.create_user(db_session, username="liu", password=PASSWORD, roles=["supervisor"])
    token = auth.create_session(db_session, user_id=user.id, hours=1, ip="10.0.0.1")
    stored = db_session.query(AuthSession).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert auth.verify_session(db_session, token=token) == user
    assert auth.verify_session(db_session, token=token + "x") is None
    assert auth.revoke_session(db_session, token=token)
    assert auth.verify_session(db_session, token=token) is None
    assert not auth.revoke_session(db_session, token=token)

    expired = auth.create_session(db_session, user_id=user.id, hours=1)
    row = db_session.query(AuthSession).filter(AuthSession.revoked_at.is_(None)).one()
    row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db_session.commit()
    assert auth.verify_session(db_session, token=expired) is None


def test_disable_and_password_reset_end_sessions(db_session: Session) -> None:
    user = auth.create_user(db_session, username="zhao", password=PASSWORD, roles=["agent"])
    token = auth.create_session(db_session, user_id=user.id, hours=1)
    auth.set_active(db_session, username="zhao", active=False)
    assert auth.verify_session(db_session, token=token) is None
    assert auth.authenticate(db_session, username="zhao", password=PASSWORD) is None
    auth.set_active(db_session, username="zhao", active=True)
    token = auth.create_session(db_session, user_id=user.id, hours=1)
    auth.change_password(db_session, username="zhao", old_password=PASSWORD, new_password="another-one-1")
    assert auth.verify_session(db_session, token=token) is None
    assert auth.authenticate(db_session, username="zhao", password="another-one-1") is not None
    with pytest.raises(auth.AuthFailed):
        auth.change_password(db_session, username="zhao", old_password=PASSWORD, new_password="x" * 10)


@pytest.mark.parametrize(
    ("required", "roles", "allowed"),
    [
        ("agent", ["agent"], True),
        ("agent", ["supervisor"], True),
        ("agent", ["admin"], True),
        ("agent", ["editor"], False),
        ("supervisor", ["agent"], False),
        ("supervisor", ["supervisor"], True),
        ("supervisor", ["editor"], False),
        ("supervisor", ["admin"], True),
        ("editor", ["editor"], True),
        ("editor", ["admin"], True),
        ("editor", ["supervisor"], False),
        ("editor", ["agent", "editor"], True),
        ("admin", ["supervisor", "editor"], False),
        ("admin", ["admin"], True),
    ],
)
def test_role_matrix(required: str, roles: list[str], allowed: bool) -> None:
    assert auth.admits(required, roles) is allowed


def test_primary_role_is_the_most_privileged() -> None:
    assert auth.primary_role(["editor", "agent"]) == "agent"
    assert auth.primary_role(["editor"]) == "editor"
    assert auth.primary_role(["agent", "admin", "supervisor"]) == "admin"


def test_throttle_locks_a_name_and_address_after_repeated_failures() -> None:
    throttle = auth.LoginThrottle(max_failures=3, lockout_s=60)
    for _ in range(2):
        throttle.failure("Chen", "1.2.3.4")
    assert throttle.locked_for("chen", "1.2.3.4") == 0
    throttle.failure("chen", "1.2.3.4")
    assert throttle.locked_for("chen", "1.2.3.4") > 50
    assert throttle.locked_for("chen", "5.6.7.8") == 0  # another address
    assert throttle.locked_for("wang", "1.2.3.4") == 0  # another name
    throttle.success("chen", "1.2.3.4")
    assert throttle.locked_for("chen", "1.2.3.4") == 0
