"""Roger's English formats: unambiguous dates (1 Oct 2026, never 10/01/2026) and a 24-hour clock, because Roger's
users are Danish companies and their English-speaking staff; Django's "en" formats are American (m/d/Y, a.m.).

Date inputs accept only forms that cannot be misread (ISO, which the browser's date picker sends, and "1 Oct 2026").
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
    "%Y-%m-%d",  # '2006-10-25'
    "%d %b %Y",  # '25 Oct 2006'
    "%d %B %Y",  # '25 October 2006'
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
