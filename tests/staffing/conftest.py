"""A city with two NPOs, each with a partner user and instructors, for staffing's tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.auth.models import User
from app.curricula.models import Course
from app.extensions import db
from app.orgs.models import InstructorCourse, Organization
from app.scheduling.models import Venue
from tests.api.conftest import api_as  # noqa: F401  (fixtures these tests use)
from tests.smtp import smtp  # noqa: F401


@dataclass
class World:
    coordinator: User
    npo_a: Organization
    npo_b: Organization
    partner_a: User
    partner_b: User
    teacher_a1: User  # trained for the course
    teacher_a2: User  # trained for the course
    teacher_a3: User  # not trained for it
    teacher_b1: User
    course: Course
    venue: Venue


@pytest.fixture
def world(make) -> World:
    npo_a = make.org(slug="npo-a", name="NPOあおば")
    npo_b = make.org(slug="npo-b", name="NPOみどり")
    npo_a.contact_email, npo_a.contact_name = "office@aoba.example.jp", "あおば事務局"
    course = make.course(slug="smartphone")
    world = World(
        coordinator=make.user("coordinator", name="市の調整役", email="coord@city.example.jp"),
        npo_a=npo_a,
        npo_b=npo_b,
        partner_a=make.user(
            "partner", org=npo_a, name="あおば担当", email="partner@aoba.example.jp"
        ),
        partner_b=make.user(
            "partner", org=npo_b, name="みどり担当", email="partner@midori.example.jp"
        ),
        teacher_a1=make.user(
            "instructor", org=npo_a, name="佐藤講師", email="sato@aoba.example.jp"
        ),
        teacher_a2=make.user(
            "instructor", org=npo_a, name="鈴木講師", email="suzuki@aoba.example.jp"
        ),
        teacher_a3=make.user(
            "instructor", org=npo_a, name="高橋講師", email="takahashi@aoba.example.jp"
        ),
        teacher_b1=make.user(
            "instructor", org=npo_b, name="田中講師", email="tanaka@midori.example.jp"
        ),
        course=course,
        venue=make.venue(capacity=30),
    )
    for teacher in (world.teacher_a1, world.teacher_a2, world.teacher_b1):
        db.session.add(InstructorCourse(user_id=teacher.id, course_id=course.id))
    db.session.commit()
    return world
