"""Tenancy and roles: the one access helper every view goes through (DESIGN §11).

Another company's object is a 404 (never a 403: its existence is not revealed); a viewer attempting a change
is a 403.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from roger.models import Membership

M = TypeVar("M", bound=Model)


class NoCompany(PermissionDenied):
    """The signed-in user is a member of no company (Roger's operator, say: staff, working in /admin/)."""


def membership_for(request: HttpRequest) -> Membership:
    """The signed-in user's membership in the company they are working in (cached on the request)."""
    cached = getattr(request, "_roger_membership", None)
    if cached is not None:
        return cached
    user: AbstractBaseUser = request.user  # type: ignore[assignment]
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in first."))
    memberships = Membership.objects.select_related("company").filter(user=user).order_by("company__name")
    wanted = request.session.get("company_id")
    membership = (memberships.filter(company_id=wanted).first() if wanted else None) or memberships.first()
    if membership is None:
        raise NoCompany(_("Your user is not a member of any company."))
    request._roger_membership = membership  # type: ignore[attr-defined]
    return membership


def require_editor(membership: Membership) -> None:
    if not membership.can_edit:
        raise PermissionDenied(_("Viewers can look but not change anything."))


def require_admin(membership: Membership) -> None:
    if not membership.is_admin:
        raise PermissionDenied(_("Only company admins can change integration settings."))


def get_for_company(queryset: QuerySet[M], membership: Membership, **lookup: object) -> M:
    """``get_object_or_404`` scoped to the member's company."""
    try:
        return queryset.get(company=membership.company, **lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(
            _("No %(object)s matches the given query.") % {"object": queryset.model._meta.verbose_name}
        ) from exc
