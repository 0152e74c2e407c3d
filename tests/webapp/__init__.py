"""The web app the browser end-to-end test clicks through (see app.py)."""

from tests.webapp.app import Mutation, WebApp

__all__ = ["Mutation", "WebApp"]
