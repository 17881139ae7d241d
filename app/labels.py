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

DEVICE = {
    "iphone": _l("iPhone"),
    "android": _l("Android"),
    "feature_phone": _l("携帯電話(スマートフォン以外)"),
    "none": _l("持っていない"),
    "loaner": _l("貸出端末を使う"),
}
LANGUAGE = {
    "ja": _l("日本語"),
    "en": _l("英語"),
    "zh": _l("中国語"),
    "ko": _l("韓国語"),
    "vi": _l("ベトナム語"),
    "pt": _l("ポルトガル語"),
    "tl": _l("タガログ語"),
    "ne": _l("ネパール語"),
}
REGISTRATION_STATUS = {
    "registered": _l("登録済み"),
    "waitlisted": _l("キャンセル待ち"),
    "cancelled": _l("取り消し"),
}
ATTENDANCE_STATUS = {
    "present": _l("出席"),
    "late": _l("遅刻"),
    "excused": _l("欠席連絡あり"),
    "absent": _l("欠席"),
}
REGISTRATION_SOURCE = {
    "phone": _l("電話"),
    "public": _l("申し込みページ"),
    "partner": _l("協力団体"),
    "walk_in": _l("当日参加"),
    "import": _l("取り込み"),
}
MATCH_SOURCE = {
    "signups": _l("協力団体の申込シート・ファイル"),
    "walk_in": _l("当日参加(講師の受付)"),
    "public": _l("申し込みページ"),
}
CHECKIN_METHOD = {
    "qr": _l("カード(カメラ)"),
    "scanner": _l("カード(スキャナー)"),
    "code": _l("番号の入力"),
    "search": _l("名前から"),
    "walk_in": _l("当日参加"),
    "api": _l("端末"),
    "recorded_later": _l("後から記録"),
}
AGE_BAND = {
    "under_60": _l("60歳未満"),
    "60_69": _l("60〜69歳"),
    "70_79": _l("70〜79歳"),
    "80_plus": _l("80歳以上"),
    "unknown": _l("不明"),
}
# What became of a session, as reports count it.
SESSION_STATE = {
    "held": _l("実施"),
    "cancelled": _l("中止"),
    "planned": _l("予定"),
}

ALL = {
    "role": ROLE,
    "org_kind": ORG_KIND,
    "track": TRACK,
    "audience": AUDIENCE,
    "delivery_type": DELIVERY_TYPE,
    "session_status": SESSION_STATUS,
    "staff_role": STAFF_ROLE,
    "warning": WARNING,
    "device": DEVICE,
    "language": LANGUAGE,
    "registration_status": REGISTRATION_STATUS,
    "attendance_status": ATTENDANCE_STATUS,
    "registration_source": REGISTRATION_SOURCE,
    "checkin_method": CHECKIN_METHOD,
    "match_source": MATCH_SOURCE,
    "learner_kind": AUDIENCE,
    "age_band": AGE_BAND,
    "session_state": SESSION_STATE,
}


def label(kind: str, code: str | None) -> str:
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))
