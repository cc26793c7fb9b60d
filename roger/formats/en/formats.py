"""Roger's English formats: unambiguous dates (1 Oct 2026, never 10/01/2026) and a 24-hour clock, because Roger's
users are Danish companies and their English-speaking staff; Django's "en" formats are American (m/d/Y, a.m.).

Dates are typed (a browser's date picker follows the browser's language, not Roger's) and accepted only in forms
that cannot be misread: "1 Oct 2026" (how a date field shows its value), "1 October 2026" and ISO 2026-10-01 —
never 10/01/2026, which a British and an American reader read differently.
"""

DATE_FORMAT = "j F Y"  # '25 October 2006'
TIME_FORMAT = "H:i"  # '14:30'
DATETIME_FORMAT = "j F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"  # '25 Oct 2006'
SHORT_DATETIME_FORMAT = "j M Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [
    "%d %b %Y",  # '25 Oct 2006' — the first one is how a date field shows its value
    "%d %B %Y",  # '25 October 2006'
    "%Y-%m-%d",  # '2006-10-25'
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
