"""Roger's operators (DESIGN §1): staff who inspect logs, jobs and failures across companies in the Django admin.

Company admins are not staff: the Django admin shows every company's data.  Operators are staff in the
"Operators" group, which may *view* everything Roger stores and add or change only companies and memberships
(onboarding); nothing else — no documents, no integration settings, no log records, no users — can be changed
or deleted there.  The group is brought up to date after every ``migrate``.
"""

from __future__ import annotations

from typing import Any

GROUP = "Operators"
VIEW_APPS = ("roger", "documents", "integrations", "auth", "django_q")
CHANGE = {("roger", "company"): ("add", "change"), ("roger", "membership"): ("add", "change")}


def ensure_operator_group(sender: Any = None, **kwargs: Any) -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    if sender is not None and sender.label != "roger":
        return
    for label in VIEW_APPS:  # other apps' post_migrate may not have run yet on a fresh database
        create_permissions(apps.get_app_config(label), verbosity=0)
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = Permission.objects.filter(content_type__app_label__in=VIEW_APPS, codename__startswith="view_")
    ids = set(wanted.values_list("pk", flat=True))
    for (app, model), actions in CHANGE.items():
        codenames = [f"{action}_{model}" for action in actions]
        ids |= set(
            Permission.objects.filter(content_type__app_label=app, codename__in=codenames).values_list("pk", flat=True)
        )
    group.permissions.set(ids)
