"""The reference for bench/pages.py: a bare Flask route, served by the same gunicorn settings."""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/hello")
    def hello():
        return "hello"

    return app
