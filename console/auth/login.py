"""Flask-Login wiring. The session holds a plain ``SignedInUser``, never an ORM object."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin

from console.access import Permission, permissions_of
from storage.models import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in.")


@dataclass(frozen=True)
class SignedInUser(UserMixin):
    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    locale: str

    @classmethod
    def of(cls, user: User) -> SignedInUser:
        return cls(
            user.id, user.username, user.display_name, frozenset(user.role_codes), user.locale
        )

    def get_id(self) -> str:
        return str(self.id)

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_of(self.roles)

    @property
    def is_agent(self) -> bool:
        return Permission.TAKE_CALLS in self.permissions

    @property
    def is_supervisor(self) -> bool:
        return Permission.WATCH_WALLBOARD in self.permissions


@login_manager.user_loader
def load_user(user_id: str) -> SignedInUser | None:
    from console.db import transaction

    with transaction() as s:
        user = s.get(User, int(user_id))
        return SignedInUser.of(user) if user is not None and user.active else None
