"""Result cells in the JSON conventions every engine's answer is written in, so that answers from
Tarn, DuckDB and chDB can be compared as data:

  datetime  ISO 8601 UTC with 'Z', fractional seconds only when non-zero ("2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.25Z"); naive datetimes are taken as UTC
  timespan  seconds, as a number
  real      a JSON number; NaN and infinities as the strings "NaN", "Infinity", "-Infinity"
  decimal   a number
  string    never null: Kusto has no null string, so a peer's NULL string is ""
  null      None
"""
import datetime
import decimal
import math
import re

NANOS_PER_SECOND = 1_000_000_000
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_ISO_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|\+00:00|\+0000)?$"
)


def iso_from_nanos(nanos: int) -> str:
    """The canonical text of a timestamp given in nanoseconds since the epoch."""
    seconds, subsecond = divmod(nanos, NANOS_PER_SECOND)
    whole = _EPOCH + datetime.timedelta(seconds=seconds)
    text = whole.strftime("%Y-%m-%dT%H:%M:%S")
    if subsecond:
        text += "." + f"{subsecond:09d}".rstrip("0")
    return text + "Z"


def nanos_from_iso(text: str) -> int | None:
    """Nanoseconds since the epoch of an ISO 8601 UTC text with up to 9 fractional digits (Kusto
    sends 7), or None when the text is not such a timestamp. Python's datetime keeps only
    microseconds, hence the hand parse of the fraction."""
    match = _ISO_PATTERN.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    whole = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                              tzinfo=datetime.timezone.utc)
    seconds = (whole - _EPOCH) // datetime.timedelta(seconds=1)
    fraction_nanos = int(fraction.ljust(9, "0")) if fraction else 0
    return seconds * NANOS_PER_SECOND + fraction_nanos


def canonical_iso(text: str) -> str:
    """A Kusto datetime text ("2024-01-01T00:00:00.0000000Z") in the canonical form; other text
    is returned unchanged."""
    nanos = nanos_from_iso(text)
    return text if nanos is None else iso_from_nanos(nanos)


def iso_from_datetime(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    delta = value - _EPOCH
    nanos = (delta.days * 86_400 + delta.seconds) * NANOS_PER_SECOND + delta.microseconds * 1_000
    return iso_from_nanos(nanos)


def json_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def normalize_cell(value):
    """One cell from a Python database driver (DuckDB, chDB through Arrow) in the JSON form."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, datetime.datetime):
        return iso_from_datetime(value)
    if isinstance(value, datetime.date):
        return iso_from_datetime(datetime.datetime(value.year, value.month, value.day))
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return json_float(float(value))
    if hasattr(value, "months") and hasattr(value, "nanoseconds"):
        return _interval_seconds(value)
    if isinstance(value, (list, tuple)):
        return [normalize_cell(item) for item in value]
    if isinstance(value, dict):
        return {key: normalize_cell(item) for key, item in value.items()}
    return str(value)


def _interval_seconds(value) -> float:
    """Seconds of an Arrow month-day-nano interval (DuckDB's INTERVAL): months have no fixed
    length, so an interval with months is not a timespan and is refused."""
    if value.months:
        raise ValueError(f"interval {value} has months; it has no length in seconds")
    return value.days * 86_400 + value.nanoseconds / NANOS_PER_SECOND
