"""What the dashboard's filter form offers: 年度 with data, courses, partners, venues, districts."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app import labels
from app.curricula.models import Course, CourseVersion
from app.extensions import db
from app.fiscal import FiscalYear
from app.orgs.models import Organization, OrgKind
from app.scheduling.models import Session, Venue
from app.timeutil import utcnow


@dataclass
class Choices:
    years: list[int]
    courses: list[tuple[str, str]]  # (slug, title)
    partners: list[tuple[str, str]]
    venues: list[tuple[str, str]]
    districts: list[str]


def filter_choices() -> Choices:
    first, last = db.session.execute(
        sa.select(sa.func.min(Session.starts_at), sa.func.max(Session.starts_at))
    ).one()
    this_year = FiscalYear.of(utcnow()).year
    low = FiscalYear.of(first).year if first else this_year
    high = max(FiscalYear.of(last).year if last else this_year, this_year)
    courses = sorted(
        (
            (slug, version.title)
            for slug, version in db.session.execute(
                sa.select(Course.slug, CourseVersion).join(
                    CourseVersion, CourseVersion.id == Course.current_version_id
                )
            )
        ),
        key=lambda c: c[1],
    )
    partners = db.session.execute(
        sa.select(Organization.slug, Organization.name)
        .where(Organization.kind != OrgKind.MUNICIPALITY)
        .order_by(Organization.name)
    ).all()
    venues = db.session.execute(sa.select(Venue.slug, Venue.name).order_by(Venue.name)).all()
    districts = db.session.scalars(
        sa.select(Venue.district).distinct().order_by(Venue.district)
    ).all()
    return Choices(
        years=list(range(high, low - 1, -1)),
        courses=courses,
        partners=[(slug, name) for slug, name in partners],
        venues=[(slug, name) for slug, name in venues],
        districts=list(districts),
    )


@dataclass
class FilterField:
    name: str
    label: str
    options: list[tuple[str, str]] | None = None  # None: a text (date) field
    hint: str = ""


def filter_fields(choices: Choices, pinned: bool) -> list[FilterField]:
    """The filter form's fields, in order; a partner's reports have no partner field."""
    every = [("", _("すべて"))]
    fields = [
        FilterField(
            "year",
            _("年度"),
            [("", _("今年度"))] + [(str(y), _("%(year)d年度", year=y)) for y in choices.years],
        ),
        FilterField("from", _("始まりの日"), hint=_("例: 2026-04-01(年度より優先)")),
        FilterField("to", _("終わりの日"), hint=_("例: 2027-03-31")),
        FilterField("course", _("コース"), every + choices.courses),
        FilterField(
            "track", _("講座の種類"), every + [(k, str(v)) for k, v in labels.TRACK.items()]
        ),
        FilterField(
            "delivery",
            _("実施形態"),
            every + [(k, str(v)) for k, v in labels.DELIVERY_TYPE.items()],
        ),
        FilterField("partner", _("協力団体"), every + choices.partners),
        FilterField("venue", _("会場"), every + choices.venues),
        FilterField("district", _("地区(会場)"), every + [(d, d) for d in choices.districts]),
    ]
    return [f for f in fields if not (pinned and f.name == "partner")]
