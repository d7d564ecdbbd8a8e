"""Permissions per role: each screen and namespace is open to the roles that need it."""

import pytest

from console.access import Permission as P
from console.access import permissions_of
from storage.codes import Role


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.AGENT, {P.TAKE_CALLS, P.READ_NOTICES}),
        (
            Role.CENTRE_HEAD,
            {
                P.WATCH_WALLBOARD,
                P.VIEW_ARCHIVE,
                P.EDIT_ARCHIVE,
                P.IMPORT_ARCHIVE,
                P.EXPORT_ARCHIVE,
                P.VIEW_AUDIT,
                P.EDIT_SETTINGS,
                P.EDIT_CALENDAR,
                P.EDIT_SCRIPTS,  # issue 6: centre heads edit the call scripts
                P.READ_NOTICES,
                P.SEND_SMS,  # issue 7: bulk SMS
                P.APPROVE_CAMPAIGN,
            },
        ),
        (
            Role.GENERAL_MANAGER,
            {
                P.WATCH_WALLBOARD,
                P.VIEW_ARCHIVE,
                P.EDIT_ARCHIVE,
                P.EXPORT_ARCHIVE,
                P.VIEW_AUDIT,
                P.READ_NOTICES,
                P.APPROVE_CAMPAIGN,
            },  # fmt: skip
        ),
        (Role.REPRESENTATIVE, {P.VIEW_ARCHIVE, P.EDIT_ARCHIVE, P.READ_NOTICES, P.SEND_SMS}),
        (Role.SERVICE_ADVISOR, {P.READ_NOTICES}),  # e.g. a complaint case handed to them
        (Role.RECEPTION_SUPERVISOR, {P.READ_NOTICES}),
        (Role.SERVICE_MANAGER, {P.VIEW_ARCHIVE, P.EXPORT_ARCHIVE, P.VIEW_AUDIT, P.READ_NOTICES}),
        (
            Role.ADMIN,
            {
                P.WATCH_WALLBOARD,
                P.VIEW_ARCHIVE,
                P.EDIT_ARCHIVE,
                P.IMPORT_ARCHIVE,
                P.EXPORT_ARCHIVE,
                P.VIEW_AUDIT,
                P.EDIT_SETTINGS,
                P.EDIT_CALENDAR,
                P.EDIT_SCRIPTS,
                P.READ_NOTICES,
                P.APPROVE_CAMPAIGN,
            },
        ),
    ],
)
def test_each_role_gets_exactly_its_permissions(role, allowed):
    assert permissions_of({role}) == allowed


def test_a_user_with_two_roles_has_both_sets_of_permissions():
    assert permissions_of({Role.AGENT, Role.REPRESENTATIVE}) == {
        P.TAKE_CALLS,
        P.VIEW_ARCHIVE,
        P.EDIT_ARCHIVE,
        P.READ_NOTICES,
        P.SEND_SMS,
    }


def test_only_managers_may_export_the_archive():
    exporters = {r for r in Role if P.EXPORT_ARCHIVE in permissions_of({r})}
    assert exporters == {Role.CENTRE_HEAD, Role.GENERAL_MANAGER, Role.SERVICE_MANAGER, Role.ADMIN}


def test_only_centre_heads_and_administrators_may_edit_the_settings():
    editors = {r for r in Role if P.EDIT_SETTINGS in permissions_of({r})}
    assert editors == {Role.CENTRE_HEAD, Role.ADMIN}


def test_an_unknown_role_code_grants_nothing():
    assert permissions_of({"visitor"}) == frozenset()
