"""Excel and CSV files for partners without Google.

Downloads: the organization's Classes, Roster and an empty Signups form, as XLSX or CSV.
Upload of a filled Signups file in three steps: the file is read and each row's fate is
shown (nothing written); the confirmation imports it for real and logs a file run; the
result file (the table with its status column filled) is downloaded from the last page.
The file travels between the steps inside the page, signed (app.sheets.file_import.seal).
"""

from __future__ import annotations

import io
from dataclasses import replace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from app.auth.access import roles
from app.orgs.partner_services import PAGE_ROLES, get_partner_org
from app.people.privacy import record_download
from app.sheets import bp, file_import, formats, uploads
from app.tabular import file_chunks, file_response, media_type

FILE_ROLES = PAGE_ROLES  # the organization's partner users, coordinators, administrators


class UploadForm(FlaskForm):
    file = FileField(
        _l("申込を入力したファイル"),
        validators=[FileRequired(message=_l("ファイルを選んでください。"))],
    )


@bp.get("/orgs/<int:org_id>/files/<any(classes, roster, signups):table>.<any(xlsx, csv):fmt>")
@roles(*FILE_ROLES)
def download(org_id: int, table: str, fmt: str):
    org = get_partner_org(current_user, org_id)
    content = formats.table_for(org, table)
    if table == "roster":  # the one table with people in it
        rows = list(content.rows)  # a Table's rows may be an iterator: counted, then written
        content = replace(content, rows=rows)
        record_download(
            current_user,
            "roster",
            fmt=fmt,
            rows=len(rows),
            subject_type="org",
            subject_id=org.id,
            org=org.slug,
        )
    return file_response(file_chunks(content, fmt), formats.download_name(org, table, fmt))


def _read_posted(storage) -> tuple[bytes, int]:
    """At most one byte more than the limit, and the file's real size when it is bigger."""
    data = storage.stream.read(uploads.MAX_UPLOAD_BYTES + 1)
    size = len(data)
    if size > uploads.MAX_UPLOAD_BYTES and storage.stream.seekable():
        size = storage.stream.seek(0, io.SEEK_END)
    return data, size


def _upload_page(org, form: UploadForm):
    status = 422 if request.method == "POST" else 200
    return render_template(
        "sheets/upload.html",
        org=org,
        form=form,
        limit=uploads.MAX_UPLOAD_BYTES // (1024 * 1024),
        max_rows=uploads.MAX_ROWS,
    ), status


@bp.route("/orgs/<int:org_id>/files/signups", methods=["GET", "POST"])
@roles(*FILE_ROLES)
def upload(org_id: int):
    org = get_partner_org(current_user, org_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(org, form)
    data, size = _read_posted(form.file.data)
    try:
        upload = uploads.read_upload(form.file.data.filename, data, size)
    except uploads.UploadRefused as exc:
        form.file.errors = [exc.message]
        return _upload_page(org, form)
    fates = file_import.preview(org, upload, current_user)
    carried = file_import.seal(
        "upload", data, org=org.id, user=current_user.id, name=upload.filename
    )
    return render_template(
        "sheets/upload_preview.html", org=org, upload=upload, fates=fates, carried=carried
    )


def _start_again(org_id: int, message: str):
    flash(message, "error")
    return redirect(url_for("sheets.upload", org_id=org_id))


@bp.post("/orgs/<int:org_id>/files/signups/confirm")
@roles(*FILE_ROLES)
def upload_confirm(org_id: int):
    org = get_partner_org(current_user, org_id)
    try:
        carried = file_import.unseal(
            "upload",
            request.form.getlist("upload"),
            file_import.UPLOAD_MAX_AGE,
            org=org.id,
            user=current_user.id,
        )
        upload = uploads.read_upload(carried["name"], carried["data"])
    except uploads.UploadRefused as exc:
        return _start_again(org.id, exc.message)
    done = file_import.import_upload(org, upload, current_user)
    result = file_import.seal(
        "result",
        done.result_file,
        org=org.id,
        user=current_user.id,
        run=done.run.id,
        name=done.result_name,
        type=media_type(upload.kind, upload.encoding),
    )
    return render_template(
        "sheets/upload_done.html", org=org, upload=upload, done=done, carried=result
    )


@bp.post("/orgs/<int:org_id>/files/signups/runs/<int:run_id>/result")
@roles(*FILE_ROLES)
def upload_result(org_id: int, run_id: int):
    org = get_partner_org(current_user, org_id)
    run = file_import.get_file_run(org, run_id)
    try:
        carried = file_import.unseal(
            "result",
            request.form.getlist("result"),
            file_import.RESULT_MAX_AGE,
            org=org.id,
            user=current_user.id,
            run=run.id,
        )
    except uploads.UploadRefused as exc:
        return _start_again(org.id, exc.message)
    return file_response([carried["data"]], carried["name"], carried["type"])
