"""Learners, their registrations for sessions, and their cards."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.extensions import Model
from app.scheduling.models import Session
from app.timeutil import UTCDateTime, utcnow


class LearnerKind(StrEnum):
    SENIOR = "senior"
    LEADER = "neighborhood_leader"  # 自治会長
    SUPPORTER = "supporter"


class Device(StrEnum):
    IPHONE = "iphone"
    ANDROID = "android"
    FEATURE_PHONE = "feature_phone"
    NONE = "none"
    LOANER = "loaner"


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class RegistrationSource(StrEnum):
    PHONE = "phone"
    PUBLIC = "public"
    PARTNER = "partner"
    WALK_IN = "walk_in"
    IMPORT = "import"


class Learner(Model):
    __tablename__ = "learners"
    __table_args__ = (
        sa.Index("ix_learners_furigana_key", "furigana_key"),
        sa.Index("ix_learners_phone_key", "phone_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The name as stored; read `name`, which says 「削除済み」 for an anonymized learner.
    stored_name: Mapped[str] = mapped_column("name", sa.String(100))
    furigana: Mapped[str] = mapped_column(sa.String(100))
    # Hiragana, no spaces: what furigana search and duplicate checks compare.
    furigana_key: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    phone2: Mapped[str | None] = mapped_column(sa.String(20))
    # Digits only, for search whatever hyphens were typed.
    phone_key: Mapped[str | None] = mapped_column(sa.String(20))
    birth_year: Mapped[int | None]
    district: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), default=LearnerKind.SENIOR)
    device: Mapped[str | None] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(8), default="ja")
    needs_vision: Mapped[bool] = mapped_column(default=False)
    needs_hearing: Mapped[bool] = mapped_column(default=False)
    needs_mobility: Mapped[bool] = mapped_column(default=False)
    consent_on: Mapped[date | None]
    # A newcomer typed in on a check-in device (offline perhaps) carries the UUID the device
    # made for them: a retry of the same walk-in finds this record instead of making a second.
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    consent_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Separate consent: name and phone may be shown to the partner that teaches a class.
    share_with_partner: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when the retention rule (app.maintenance.retention) removed what identifies the
    # person: name, furigana, phones, notes are gone, cards revoked; figures stay.
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consent_recorded_by: Mapped[User | None] = relationship()
    cards: Mapped[list[Card]] = relationship(back_populates="learner", order_by="Card.issued_at")

    @hybrid_property
    def name(self) -> str:
        """The name people see: 「削除済み」 once the learner was anonymized. In SQL, the
        stored column (empty for an anonymized learner)."""
        if self.anonymized_at is not None:
            return _("削除済み")
        return self.stored_name

    @name.inplace.setter
    def _name_setter(self, value: str) -> None:
        self.stored_name = value

    @name.inplace.bulk_dml
    @classmethod
    def _name_bulk_dml(cls, mapping: MutableMapping[str, Any], value: str) -> None:
        # Bulk INSERTs keyed "name" (the demo's history, the tests' big rosters) write the column.
        mapping["stored_name"] = value

    @name.inplace.expression
    @classmethod
    def _name_expression(cls) -> sa.ColumnElement[str]:
        return cls.stored_name  # type: ignore[return-value]

    @property
    def anonymized(self) -> bool:
        return self.anonymized_at is not None

    @property
    def active_card(self) -> Card | None:
        return next((c for c in self.cards if c.revoked_at is None), None)

    @property
    def needs(self) -> dict[str, bool]:
        """The accessibility needs by name, as the API writes them."""
        return {
            "vision": self.needs_vision,
            "hearing": self.needs_hearing,
            "mobility": self.needs_mobility,
        }


class Card(Model):
    """A printed card. The QR holds `token`; people can type `short_code`."""

    __tablename__ = "cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learners.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(40), unique=True)
    short_code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    learner: Mapped[Learner] = relationship(back_populates="cards")


class Registration(Model):
    __tablename__ = "registrations"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "learner_id"),
        sa.Index("ix_registrations_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id"))
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learners.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    source: Mapped[str] = mapped_column(sa.String(20))
    # Waitlist order; set again when a cancelled registration is made anew.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    session: Mapped[Session] = relationship()
    learner: Mapped[Learner] = relationship()


class MatchSource(StrEnum):
    SIGNUPS = "signups"  # a row of a partner's Signups sheet or file
    WALK_IN = "walk_in"  # a newcomer recorded at the door by an instructor
    PUBLIC = "public"  # the public sign-up page


class MatchOutcome(StrEnum):
    MERGED = "merged"
    REJECTED = "rejected"


class PendingMatch(Model):
    """A new record that may be someone already on record (same furigana and phone).

    Made when whoever signed the person up may not see the record on file (a partner's row,
    a public sign-up, an instructor's newcomer): rather than hand them that record, the
    sign-up gets a record of its own, and a coordinator confirms (merges the two) or rejects.
    """

    __tablename__ = "pending_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    new_learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learners.id"), index=True)
    existing_learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learners.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(20))
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(sa.String(20))

    new_learner: Mapped[Learner] = relationship(foreign_keys=[new_learner_id])
    existing_learner: Mapped[Learner] = relationship(foreign_keys=[existing_learner_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])


class CallOutcome(StrEnum):
    """What the day-before call (前日確認) found."""

    ATTENDING = "attending"  # 参加
    CANCELLED = "cancelled"  # 欠席: the registration is cancelled, the waitlist moves up
    NO_ANSWER = "no_answer"  # 不在: called again
    MESSAGE_LEFT = "message_left"  # 伝言


class ConfirmationCall(Model):
    """One try of the day-before call: every try is kept (who, when, what), the last one is
    the registration's outcome."""

    __tablename__ = "confirmation_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The waitlisted person a 欠席 gave the seat to: the reports count seats passed on by calls.
    promoted_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registrations.id"))

    registration: Mapped[Registration] = relationship(foreign_keys=[registration_id])
    promoted: Mapped[Registration | None] = relationship(foreign_keys=[promoted_id])
    recorded_by: Mapped[User | None] = relationship()


class FamilyContact(Model):
    """Someone of a learner's family who may be told of the learner's classes: one per
    learner. Without `consent` nobody contacts them (the record only keeps who they are)."""

    __tablename__ = "family_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("learners.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    relation: Mapped[str] = mapped_column(sa.String(50), default="")
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    consent: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    learner: Mapped[Learner] = relationship()


class FamilyReminder(Model):
    """The reminder that went to a learner's family before a class: at most one per
    registration (the unique key is the "once"), shown on the call list."""

    __tablename__ = "family_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
