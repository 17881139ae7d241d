"""SQL expressions that SQLite and PostgreSQL spell differently.

Times are stored as naive UTC on both databases (app.timeutil.UTCDateTime); Japan has no
daylight saving, so a fixed nine hours gives the local month (and 年度) exactly.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

JST_OFFSET_HOURS = 9


class local_month(FunctionElement):  # lower case: it reads as the SQL function it is
    """'YYYY-MM' of a stored UTC time, in Japan time."""

    type = sa.String()
    inherit_cache = True


@compiles(local_month, "sqlite")
def _local_month_sqlite(element, compiler, **kw):
    (moment,) = element.clauses
    return f"strftime('%Y-%m', {compiler.process(moment, **kw)}, '+{JST_OFFSET_HOURS} hours')"


@compiles(local_month, "postgresql")
def _local_month_postgresql(element, compiler, **kw):
    (moment,) = element.clauses
    return (
        f"to_char({compiler.process(moment, **kw)} + interval '{JST_OFFSET_HOURS} hours', "
        "'YYYY-MM')"
    )


class minutes_between(FunctionElement):
    """Whole minutes from the first time to the second."""

    type = sa.Integer()
    inherit_cache = True


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 1440) AS INTEGER)"


@compiles(minutes_between, "postgresql")
def _minutes_postgresql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) / 60) AS INTEGER)"


class local_fiscal_year(FunctionElement):
    """The 年度 (app.fiscal.FiscalYear.year) of a stored UTC time: its Japan time moved back
    three months, so that April to March falls in one calendar year."""

    type = sa.Integer()
    inherit_cache = True


@compiles(local_fiscal_year, "sqlite")
def _fiscal_year_sqlite(element, compiler, **kw):
    (moment,) = element.clauses
    # SQLite rolls 31 May minus three months to 3 March: never across a year's end.
    return (
        f"CAST(strftime('%Y', {compiler.process(moment, **kw)}, "
        f"'+{JST_OFFSET_HOURS} hours', '-3 months') AS INTEGER)"
    )


@compiles(local_fiscal_year, "postgresql")
def _fiscal_year_postgresql(element, compiler, **kw):
    (moment,) = element.clauses
    return (
        f"CAST(EXTRACT(YEAR FROM {compiler.process(moment, **kw)} "
        f"+ interval '{JST_OFFSET_HOURS} hours' - interval '3 months') AS INTEGER)"
    )
