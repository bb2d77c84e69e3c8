"""The API's documentation page (/api/docs), rendered from the Markdown
guides in docs/ and the OpenAPI document, so there is one source."""
from __future__ import annotations

import yaml
from flask import Blueprint, render_template

from app.api.errors import ERROR_CODES
from app.api.routes import OPENAPI_PATH
from app.config import BASE_DIR
from app.help.articles import render_markdown

bp = Blueprint("api_docs", __name__, url_prefix="/api")

GUIDES = (("api", BASE_DIR / "docs" / "api.md"), ("webhooks", BASE_DIR / "docs" / "webhooks.md"))


@bp.get("/docs")
def docs():
    spec = yaml.safe_load(OPENAPI_PATH.read_text())
    operations = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            params = [p.get("name") or p.get("$ref", "").rsplit("/", 1)[-1] for p in operation.get("parameters", [])]
            operations.append({"method": method.upper(), "path": "/api/v1" + path, "summary": operation.get("summary", ""),
                               "params": params})
    guides = {name: render_markdown(path.read_text(encoding="utf-8")) for name, path in GUIDES}
    return render_template("api/docs.html", operations=operations, guides=guides, error_codes=ERROR_CODES)
