"""Words shown for stored codes (roles, tracks, statuses), in the person's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE = {
    "admin": _l("管理者"),
    "coordinator": _l("コーディネーター"),
    "instructor": _l("講師・アシスタント"),
    "partner": _l("協力団体"),
}
ORG_KIND = {
    "municipality": _l("自治体"),
    "npo": _l("NPO"),
    "carrier": _l("携帯電話ショップ"),
    "neighborhood_association": _l("自治会・町内会"),
}
TRACK = {
    "basic": _l("基本講座"),
    "applied": _l("応用講座"),
    "leader": _l("自治会長向け"),
    "supporter": _l("サポーター養成"),
}
AUDIENCE = {
    "senior": _l("高齢者"),
    "neighborhood_leader": _l("自治会長"),
    "supporter": _l("サポーター"),
}
DELIVERY_TYPE = {
    "regional": _l("地域連携型"),
    "nationwide": _l("全国展開型"),
    "dispatch": _l("講師派遣型"),
    "independent": _l("自治体独自"),
}
SESSION_STATUS = {
    "scheduled": _l("予定"),
    "cancelled": _l("中止"),
    "completed": _l("実施済"),
}
STAFF_ROLE = {"instructor": _l("講師"), "assistant": _l("アシスタント")}
WARNING = {
    "no_instructor": _l("講師が未定です"),
    "understaffed": _l("講師・アシスタントが不足しています(受講者4人に1人)"),
}
WEEKDAY = [_l("月"), _l("火"), _l("水"), _l("木"), _l("金"), _l("土"), _l("日")]

ALL = {
    "role": ROLE,
    "org_kind": ORG_KIND,
    "track": TRACK,
    "audience": AUDIENCE,
    "delivery_type": DELIVERY_TYPE,
    "session_status": SESSION_STATUS,
    "staff_role": STAFF_ROLE,
    "warning": WARNING,
}


def label(kind: str, code: str | None) -> str:
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))
