"""Django settings for the tests: the embedded default under a temporary DATA_DIR.

``JANSKY_TEST_DATABASE_URL`` points the same tests at another database (the PostgreSQL run in
tests/integration/test_webapp_postgres.py). HTTPS settings are off, as on the embedded default;
tests of the HTTPS settings turn them on themselves.
"""

import atexit
import os
import shutil
import tempfile

from webapp.config import load_webapp_settings
from webapp.django_settings import build_settings

TEST_DATA_DIR = tempfile.mkdtemp(prefix="jansky-webapp-tests-")
atexit.register(shutil.rmtree, TEST_DATA_DIR, ignore_errors=True)

TEST_ENV = {
    "DATA_DIR": TEST_DATA_DIR,
    "DATABASE_URL": os.environ.get("JANSKY_TEST_DATABASE_URL", ""),
    "WEBAPP_SECRET_KEY": "jansky-tests-secret-key-that-is-long-enough-for-django",
    "WEBAPP_HTTPS": "false",
    "WEBAPP_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
}

globals().update(build_settings(load_webapp_settings(TEST_ENV)))
# Fast password hashing: the tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("postgresql"):  # noqa: F821 (set just above)
    # A database of its own per run: other developers test against the same server.
    DATABASES["default"]["TEST"] = {"NAME": f"test_jansky_{os.getpid()}_{os.urandom(3).hex()}"}  # noqa: F821
