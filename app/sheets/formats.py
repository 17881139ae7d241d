"""What a partner can download as a file: their three tables, by name, and the files' names.

For partners without Google: the rows are the very rows the Google Sheets sync writes
(app.sheets.tables); Signups is the empty form to fill in and upload (app.sheets.uploads).
The files themselves are written by app.tabular.
"""

from __future__ import annotations

from app.orgs.models import Organization
from app.sheets.tables import (
    CLASSES,
    CLASSES_HEADER,
    ROSTER,
    ROSTER_HEADER,
    SIGNUP_COLUMNS,
    SIGNUP_TEXT_COLUMNS,
    SIGNUPS,
    SIGNUPS_HEADER,
    classes_rows,
    org_sessions,
)
from app.sheets.tables import roster_rows as roster_table_rows
from app.tabular import Table, measured_widths
from app.timeutil import japan_today

TABLES = {"classes": CLASSES, "roster": ROSTER, "signups": SIGNUPS}
FORMATS = ("xlsx", "csv")

STATUS_INDEX = len(SIGNUPS_HEADER) - 1
# Room in the status column for a refusal reason, which the upload's result file writes there.
REASON_WIDTH = 40.0
SIGNUP_TEXT_INDEXES = tuple(i for i, c in enumerate(SIGNUP_COLUMNS) if c.key in SIGNUP_TEXT_COLUMNS)
ROSTER_TEXT_INDEXES = (ROSTER_HEADER.index("電話番号"),)


def table_for(org: Organization, name: str) -> Table:
    """The same rows the Google Sheets sync writes; Signups is the empty form to fill in."""
    if name == "signups":
        return Table(
            SIGNUPS,
            SIGNUPS_HEADER,
            [],
            widths=measured_widths([], at_least={STATUS_INDEX: REASON_WIDTH}),
            text_columns=SIGNUP_TEXT_INDEXES,
        )
    sessions = org_sessions(org)
    if name == "classes":
        rows = classes_rows(sessions)
        return Table(CLASSES, CLASSES_HEADER, rows, widths=measured_widths(rows))
    rows = roster_table_rows(sessions)
    return Table(
        ROSTER,
        ROSTER_HEADER,
        rows,
        widths=measured_widths(rows),
        text_columns=ROSTER_TEXT_INDEXES,
    )


def download_name(org: Organization, table: str, fmt: str) -> str:
    return f"dekiru-{org.slug}-{table}-{japan_today().isoformat()}.{fmt}"
