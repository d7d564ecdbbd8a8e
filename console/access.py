"""Who may do what: permissions per role code (DOMAIN.md, "People and roles"), checked on
every route and every Socket.IO event through ``requires``."""

from __future__ import annotations

from enum import StrEnum
from functools import wraps

from flask import abort
from flask_login import current_user

from storage.codes import Role


class Permission(StrEnum):
    TAKE_CALLS = "take_calls"  # the agent's screen and its events
    WATCH_WALLBOARD = "watch_wallboard"
    VIEW_ARCHIVE = "view_archive"  # every customer of the user's stores, phones unmasked
    EDIT_ARCHIVE = "edit_archive"
    IMPORT_ARCHIVE = "import_archive"
    EXPORT_ARCHIVE = "export_archive"
    VIEW_AUDIT = "view_audit"
    EDIT_SETTINGS = "edit_settings"  # see and change the stores' follow-up settings
    EDIT_CALENDAR = "edit_calendar"  # the statutory calendar's overrides, for every store
    EDIT_SCRIPTS = "edit_scripts"  # the stores' call scripts: a new version per edit
    READ_NOTICES = "read_notices"  # one's own notices (e.g. a complaint case handed over)
    SEND_SMS = "send_sms"  # SMS templates and campaign drafts
    APPROVE_CAMPAIGN = "approve_campaign"  # approve or cancel SMS campaigns; unknown messages


P = Permission
MANAGERS = {P.WATCH_WALLBOARD, P.VIEW_ARCHIVE, P.EDIT_ARCHIVE, P.EXPORT_ARCHIVE, P.VIEW_AUDIT}
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset({P.TAKE_CALLS}),
    Role.REPRESENTATIVE: frozenset({P.VIEW_ARCHIVE, P.EDIT_ARCHIVE}),
    Role.CENTRE_HEAD: frozenset(
        MANAGERS | {P.IMPORT_ARCHIVE, P.EDIT_SETTINGS, P.EDIT_CALENDAR, P.EDIT_SCRIPTS}
    ),
    Role.SERVICE_ADVISOR: frozenset(),
    Role.RECEPTION_SUPERVISOR: frozenset(),
    Role.SERVICE_MANAGER: frozenset({P.VIEW_ARCHIVE, P.EXPORT_ARCHIVE, P.VIEW_AUDIT}),
    Role.GENERAL_MANAGER: frozenset(MANAGERS),
    Role.ADMIN: frozenset(
        MANAGERS | {P.IMPORT_ARCHIVE, P.EDIT_SETTINGS, P.EDIT_CALENDAR, P.EDIT_SCRIPTS}
    ),
}
# Anyone may be told something in the console (a case handed to their role): all read notices.
GRANTS = {role: granted | {P.READ_NOTICES} for role, granted in GRANTS.items()}
# Bulk SMS (issue 7): representatives and centre heads write them; a supervisor approves.
SMS_GRANTS = {
    Role.REPRESENTATIVE: {P.SEND_SMS},
    Role.CENTRE_HEAD: {P.SEND_SMS, P.APPROVE_CAMPAIGN},
    Role.GENERAL_MANAGER: {P.APPROVE_CAMPAIGN},
    Role.ADMIN: {P.APPROVE_CAMPAIGN},
}
GRANTS = {role: granted | SMS_GRANTS.get(role, set()) for role, granted in GRANTS.items()}


def permissions_of(roles: frozenset[str] | set[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= GRANTS.get(role, frozenset())  # type: ignore[call-overload]
    return frozenset(granted)


def can(permission: Permission) -> bool:
    return current_user.is_authenticated and permission in permissions_of(current_user.roles)


def requires(*permissions: Permission):
    """Decorates a view: 401 (login page) when signed out, 403 without any of the permissions
    (the view itself narrows what a lesser one may see, e.g. an agent in the archive)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                from console.auth.login import login_manager

                return login_manager.unauthorized()
            if not any(can(p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_permissions = frozenset(permissions)  # read by the authorization tests
        return wrapper

    return decorate
