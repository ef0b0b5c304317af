"""Open edX's LTI 1.3 platform (lti-consumer-xblock) as a standalone Django project on loopback.

The platform's own Django app serves its JWKS (public keyset), OAuth2 token endpoint and AGS line
item / score / result API, backed by its own models in SQLite. Launches and deep-linking
validation use its consumer classes (`LtiAdvantageConsumer` built by `LtiConfiguration`), since
its launch view needs an Open edX runtime (modulestore, users) that does not exist standalone.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

USAGE_ID_PATTERN = r"(?P<usage_id>(?:i4x://?[^/]+/[^/]+/[^/]+/[^@]+(?:@[^/]+)?)|(?:[^/]+))"
LOCATION = "block-v1:Agora+E2E+2026+type@lti_consumer+block@forum1"


def configure(base_url: str, db_path: str) -> None:
    from django.conf import settings

    if settings.configured:
        settings.LTI_BASE = settings.LTI_API_BASE = settings.LMS_ROOT_URL = base_url
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="e2e-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF="tests.agora.lti.openedx_urls",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "rest_framework",
            "django_filters",
            "config_models",
            "lti_consumer.apps.LTIConsumerApp",
        ],
        MIDDLEWARE=[],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        USAGE_ID_PATTERN=USAGE_ID_PATTERN,
        PLATFORM_NAME="Open edX (Agora e2e)",
        LTI_BASE=base_url,
        LTI_API_BASE=base_url,
        LMS_ROOT_URL=base_url,
        LEARNING_MICROFRONTEND_URL=base_url,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        LOGGING_CONFIG=None,
        OPENEDX_TELEMETRY=[],
    )
    import django

    django.setup()


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(base_holder: dict, db_path: str):
    """Start the Django app on 127.0.0.1:<free port> in a thread; returns (base_url, stop)."""
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    server: WSGIServer = make_server("127.0.0.1", 0, lambda e, s: app(e, s), handler_class=_Quiet)
    base_url = f"http://127.0.0.1:{server.server_port}"
    configure(base_url, db_path)
    call_command("migrate", verbosity=0, interactive=False)
    app = get_wsgi_application()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    base_holder["url"] = base_url
    return base_url, stop
