"""The public achievements page, kept as written, by language, under the version of the data
it shows (its ETag): any process that finds the same version serves the same page without
counting or rendering it again; a page of another version is never served, it is replaced."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model, db
from app.timeutil import UTCDateTime, utcnow


class AchievementPage(Model):
    __tablename__ = "public_achievement_pages"

    locale: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    etag: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[str] = mapped_column(sa.Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def kept(locale: str, etag: str) -> str | None:
    return db.session.scalar(
        sa.select(AchievementPage.body).where(
            AchievementPage.locale == locale, AchievementPage.etag == etag
        )
    )


def keep(locale: str, etag: str, body: str) -> None:
    """Keep the page (one transaction of its own); another process keeping it at the same
    moment wins, and this one gives way."""
    try:
        page = db.session.get(AchievementPage, locale)
        if page is None:
            db.session.add(AchievementPage(locale=locale, etag=etag, body=body))
        else:
            page.etag, page.body, page.written_at = etag, body, utcnow()
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
