"""The Japanese 年度 (fiscal year): April 1 to March 31, named by the year it starts in; and a
day of one written in 和暦 (令和8年4月12日), as records handed to the city read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _

from app.text import clean
from app.timeutil import from_local, local

# The era a 年度 may be written in; reports never reach before 平成.
_ERAS = {"平成": 1989, "令和": 2019, "H": 1989, "R": 2019}
_ERA_LAST = {"平成": 31, "H": 31}
# The first day of each era a report's day may fall in, newest first (the app's days start in
# 2000: app.timeutil.FIRST_DAY).
_ERA_FIRST_DAYS = (("令和", date(2019, 5, 1)), ("平成", date(1989, 1, 8)))
_YEAR = re.compile(r"^(\d{4})(年度?)?$")
_ERA_YEAR = re.compile(r"^(平成|令和|[HR])\.?(元|\d{1,2})(年度?)?$", re.IGNORECASE)


@dataclass(frozen=True)
class FiscalYear:
    year: int

    @classmethod
    def of(cls, moment: datetime) -> FiscalYear:
        return cls.of_day(local(moment).date())

    @classmethod
    def of_day(cls, day: date) -> FiscalYear:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def parse(cls, text: str) -> FiscalYear:
        """'2026', '２０２６年度', '令和8年度', 'R8' → 年度 2026. ValueError says what is expected."""
        value = clean(text).replace(" ", "")
        if match := _YEAR.match(value):
            year = int(match.group(1))
        elif match := _ERA_YEAR.match(value):
            era = match.group(1).upper() if len(match.group(1)) == 1 else match.group(1)
            number = 1 if match.group(2) == "元" else int(match.group(2))
            if number < 1 or number > _ERA_LAST.get(era, 99):
                raise ValueError(_("%(value)s という年度はありません。", value=text))
            year = _ERAS[era] + number - 1
        else:
            raise ValueError(_("年度は 2026 か 令和8年度 のように入力してください。"))
        if not 2000 <= year <= 2100:
            raise ValueError(_("年度は2000から2100までで入力してください。"))
        return cls(year)

    @property
    def first_day(self) -> date:
        return date(self.year, 4, 1)

    @property
    def last_day(self) -> date:
        return date(self.year + 1, 3, 31)

    @property
    def reiwa(self) -> int:
        return self.year - 2018

    def bounds(self) -> tuple[datetime, datetime]:
        """Start and end (exclusive) as UTC moments: midnight in Japan on April 1."""
        return (
            from_local(self.first_day, time(0, 0)),
            from_local(date(self.year + 1, 4, 1), time(0, 0)),
        )


def era_date(day: date) -> str:
    """A day in 和暦: 2026-04-12 → '令和8年4月12日', 2019-05-01 → '令和元年5月1日'."""
    for era, first in _ERA_FIRST_DAYS:
        if day >= first:
            number = day.year - first.year + 1
            year = _("元") if number == 1 else str(number)
            return _(
                "%(era)s%(year)s年%(month)d月%(day)d日",
                era=era,
                year=year,
                month=day.month,
                day=day.day,
            )
    return day.isoformat()  # before 平成: never a class of ours
