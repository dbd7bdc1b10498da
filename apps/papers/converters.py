import datetime as dt

from apps.papers.arxiv_ids import ARXIV_ID_PATTERN
from apps.papers.periods import Period, parse_month, parse_week


class IsoDateConverter:
    """``YYYY-MM-DD``; an impossible date such as 2026-02-30 does not match, so it is a 404."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(value) from exc

    def to_url(self, value: dt.date) -> str:
        return value.isoformat()


class IsoWeekConverter:
    """``YYYY-Www``; a week the year does not have (2026-W54) does not match, so it is a 404."""

    regex = r"\d{4}-W\d{2}"

    def to_python(self, value: str) -> Period:
        return parse_week(value)

    def to_url(self, value: Period | str) -> str:
        return value if isinstance(value, str) else value.value


class MonthConverter:
    """``YYYY-MM``; month 00 or 13 does not match, so it is a 404."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> Period:
        return parse_month(value)

    def to_url(self, value: Period | str) -> str:
        return value if isinstance(value, str) else value.value


class ArxivIdConverter:
    """An arXiv id, optionally with a version suffix (``2410.09692v2``)."""

    regex = rf"{ARXIV_ID_PATTERN}(?:v\d+)?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
