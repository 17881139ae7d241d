"""Security headers on every answer, pages, API, static files and errors alike.

The Content-Security-Policy lets scripts come only from this site: files under /static, and
inline `<script nonce="{{ csp_nonce() }}">` blocks, the nonce being new for each answer.
WebAssembly may be compiled ('wasm-unsafe-eval': the check-in page's QR decoder), but no
string is ever run as code ('unsafe-eval' is not given). A page that is cached whole (the
public achievements page, with its ETag) must have no inline script: the nonce of a later
answer would refuse it. Styles may be inline: the charts and QR codes size themselves with
style attributes and the print pages carry their own `<style media="print">`; CSS runs no
script, and the templates escape what people type, so markup cannot be injected to abuse it.

Referrer-Policy same-origin: calendar-feed and card tokens live in URLs, and must not leave
in a Referer header when someone follows a link to another site. HSTS is sent over HTTPS:
when the request came by HTTPS (behind a proxy that terminates TLS, TRUSTED_PROXIES makes
Flask see it) and always in production, whose secure cookies work only over HTTPS (browsers
ignore the header on plain HTTP).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request

HSTS = "max-age=31536000"  # a year; no includeSubDomains: the city's other sites are not ours


def csp_nonce() -> str:
    """This answer's nonce, for the inline scripts of its page."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.add_template_global(csp_nonce)
