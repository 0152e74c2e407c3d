"""Which captured requests to keep: rules over a request's method, URL and response type.

Static assets (scripts, styles, images, fonts, page loads) are most of a browser capture by
count and by size, and never part of what a script should replay. Readers ask `is_static`
before decoding a body, so that large captures stay cheap to read.
"""

from __future__ import annotations

# Chrome's `_resourceType` (DevTools' resource type names, lower-cased) of requests the
# browser made for the page itself rather than for a script's call. A top-level "document"
# GET is a page load (the browser's address bar, a link), not an API call; a form POST
# stays, since only GETs are static.
STATIC_RESOURCE_TYPES: frozenset[str] = frozenset(
    {
        "document",
        "stylesheet",
        "script",
        "image",
        "font",
        "media",
        "manifest",
        "texttrack",
        "wasm",
        "sm-script",  # source maps DevTools fetched
        "sm-stylesheet",
    }
)

# Types a page's script asked for: the browser's word wins over a static-looking URL or
# response type (a fetch of `/v1/…/logo.png` may be an API the script depends on).
API_RESOURCE_TYPES: frozenset[str] = frozenset({"xhr", "fetch", "eventsource", "websocket"})

STATIC_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".js",
        ".mjs",
        ".cjs",
        ".css",
        ".map",
        ".html",
        ".htm",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".avif",
        ".bmp",
        ".svg",
        ".ico",
        ".cur",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".mp3",
        ".mp4",
        ".m4a",
        ".ogg",
        ".wav",
        ".webm",
        ".vtt",
        ".wasm",
        ".webmanifest",
    }
)

# Compared with the start of the response's media type (lower-cased, parameters removed).
STATIC_MIME_PREFIXES: tuple[str, ...] = (
    "image/",
    "font/",
    "audio/",
    "video/",
    "text/css",
    "text/html",
    "text/javascript",
    "text/vtt",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/wasm",
    "application/font-",
    "application/x-font-",
    "application/vnd.ms-fontobject",
    "application/manifest+json",
)

# URLs that never reach a server: the page's own inline or local resources.
STATIC_SCHEMES: tuple[str, ...] = ("data:", "blob:", "chrome-extension:", "moz-extension:")


def url_extension(url: str) -> str:
    """The lower-cased extension of the URL path's last segment (".js"), or ""."""
    rest = url.split("://", 1)[-1]
    path = rest.split("?", 1)[0].split("#", 1)[0]
    segment = path.rsplit("/", 1)[-1] if "/" in path else ""
    stem, dot, extension = segment.rpartition(".")
    return "." + extension.lower() if dot and stem else ""


def _media_type(mime: str | None) -> str:
    return "" if mime is None else mime.split(";", 1)[0].strip().lower()


def is_static(method: str, url: str, resource_type: str | None, response_mime: str | None) -> bool:
    """Whether a request fetched a static asset. Only GETs are: a POST is never static."""
    if method.upper() != "GET":
        return False
    if url[:20].lower().startswith(STATIC_SCHEMES):
        return True
    kind = (resource_type or "").lower()
    if kind in STATIC_RESOURCE_TYPES:
        return True
    if kind in API_RESOURCE_TYPES:
        return False
    media = _media_type(response_mime)
    return url_extension(url) in STATIC_EXTENSIONS or (
        bool(media) and media.startswith(STATIC_MIME_PREFIXES)
    )
