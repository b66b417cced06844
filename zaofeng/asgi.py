import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zaofeng.settings.base")
application = get_asgi_application()

from zaofeng.dbtimeout import web_statement_timeout_install  # noqa: E402

web_statement_timeout_install()
