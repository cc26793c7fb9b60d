"""Roger's Danish formats: Django's, with the day-first date spellings Danish bookkeepers type (30.11.2026,
30-11-2026, 30/11/2026).  Dates are typed, not picked: a browser's date picker follows the browser's own
language, so a Danish bookkeeper with an English browser would see 11/30/2026."""

DATE_FORMAT = "j. F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j. F Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j. F"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1

DATE_INPUT_FORMATS = [
    "%d.%m.%Y",  # '25.10.2006' — the first one is how a date field shows its value
    "%d-%m-%Y",  # '25-10-2006'
    "%d/%m/%Y",  # '25/10/2006'
    "%d.%m.%y",  # '25.10.06'
    "%d-%m-%y",  # '25-10-06'
]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S.%f",
    "%d.%m.%Y %H:%M",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
