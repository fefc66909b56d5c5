"""Who may do what, from Django's model permissions (services.ROLE_PERMISSIONS): viewers read,
editors edit claims, record reviews, dismiss flags and ingest, reviewers also publish, admins
(superusers) do everything. Anonymous requests are refused with 401 before anything else."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

_BY_METHOD = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def required_permissions(request: Request, view: Any) -> Sequence[str]:
    """A view's `action_permissions` names the permissions of its custom actions (publish,
    dismiss, ingest); anything else needs the model permission matching the HTTP method."""
    action = getattr(view, "action", None) or request.method
    explicit: dict[str, Sequence[str]] = getattr(view, "action_permissions", {})
    if action in explicit:
        return explicit[action]
    # The class's queryset names the model as well as get_queryset() does, without building
    # the annotations a view may add there on every request.
    queryset = getattr(view, "queryset", None)
    model = (queryset if queryset is not None else view.get_queryset()).model
    verb = _BY_METHOD.get(request.method or "", "change")
    return [f"{model._meta.app_label}.{verb}_{model._meta.model_name}"]


class RolePermission(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method == "OPTIONS":
            # Describing an endpoint reveals nothing a signed-in user may not know.
            return True
        return bool(user.has_perms(required_permissions(request, view)))
