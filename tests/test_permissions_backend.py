"""tracker.permissions.ModelBackendOneQuery gives exactly ModelBackend's permissions, in one
query instead of two."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory
from tracker.permissions import ModelBackendOneQuery

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user)._default_manager.get(pk=user.pk)


def test_a_user_gets_their_own_and_their_groups_permissions_in_one_query():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="change_flag"))
    group = Group.objects.create(name="desk")
    group.permissions.add(*Permission.objects.filter(codename__in=["view_claim", "add_review"]))
    user.groups.add(group)
    user = _fresh(user)

    with CaptureQueriesContext(connection) as queries:
        ours = ModelBackendOneQuery().get_all_permissions(user)
        ModelBackendOneQuery().get_all_permissions(user)  # cached on the user for the request

    assert ours == {"claims.change_flag", "claims.view_claim", "claims.add_review"}
    assert ours == ModelBackend().get_all_permissions(_fresh(user))
    assert len(queries) == 1


def test_a_user_with_no_permission_and_no_group_gets_none():
    assert ModelBackendOneQuery().get_all_permissions(UserFactory()) == set()


def test_an_inactive_user_gets_nothing_even_through_a_group():
    user = UserFactory(is_active=False)
    group = Group.objects.create(name="desk")
    group.permissions.add(Permission.objects.get(codename="view_claim"))
    user.groups.add(group)

    assert not ModelBackendOneQuery().has_perm(_fresh(user), "claims.view_claim")


def test_a_superuser_gets_every_permission():
    user = UserFactory(is_superuser=True)

    assert ModelBackendOneQuery().get_all_permissions(user) == ModelBackend().get_all_permissions(
        _fresh(user)
    )
    assert len(ModelBackendOneQuery().get_all_permissions(user)) == Permission.objects.count()


def test_object_permissions_are_not_granted():
    user = UserFactory(is_superuser=True)

    assert ModelBackendOneQuery().get_all_permissions(user, obj=object()) == set()
