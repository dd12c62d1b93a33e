"""Security headers on every response, with a fresh CSP nonce per request for the page's own script."""

from __future__ import annotations

import secrets

from flask import Flask, g, request

# Extra script hashes by path prefix: the dashboard registers Dash's inline renderer scripts here.
CSP_EXTRA = "cme.csp_extra"


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str, extra_script_src: list[str], inline_styles: bool) -> str:
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'", *extra_script_src],
        "style-src": ["'self'", "'unsafe-inline'"] if inline_styles else ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def init_app(app: Flask) -> None:
    app.extensions[CSP_EXTRA] = {}

    @app.after_request
    def set_headers(response):
        extra, inline_styles = [], False
        for prefix, hashes in app.extensions[CSP_EXTRA].items():
            if request.path.startswith(prefix):
                # Dash's renderer and plotly add <style> elements as they draw: without inline styles Chromium
                # reports a style-src violation on every dashboard page (tests/e2e/test_csp.py). Scripts stay strict.
                extra, inline_styles = hashes, True
        response.headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), extra, inline_styles)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        # Browsers ignore HSTS over plain HTTP, so it is sent always: no environment can forget it.
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        static_file = request.endpoint == "static" and response.status_code < 400
        if not static_file and response.cache_control.max_age is None:
            # Pages can hold children's details: never keep them in a shared or back-button cache. Files
            # marked cacheable by what served them (Dash's fingerprinted scripts) keep their own header.
            response.headers["Cache-Control"] = "no-store"
        return response
