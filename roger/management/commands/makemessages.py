"""``makemessages`` that also collects ``N_("…")``: the no-op marker for messages the engine and the connectors
store in English (they cannot import Django) and the log translates when a person reads it."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
