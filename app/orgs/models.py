"""Organizations: the city, NPOs, carrier shops and neighborhood associations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.timeutil import UTCDateTime, utcnow


class OrgKind(StrEnum):
    MUNICIPALITY = "municipality"
    NPO = "npo"
    CARRIER = "carrier"
    NEIGHBORHOOD_ASSOCIATION = "neighborhood_association"


class Organization(Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(32))
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_partner(self) -> bool:
        return self.kind != OrgKind.MUNICIPALITY

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class InstructorCourse(Model):
    """A course an instructor or assistant can teach (shown in the partner's space)."""

    __tablename__ = "instructor_courses"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), primary_key=True)
