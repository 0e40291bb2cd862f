"""Django settings of Crash Stats, read from the environment (``DJANGO_SETTINGS_MODULE``).

Every value comes from an everett option (`jansky config` lists them); see
:mod:`webapp.django_settings` for how they map to Django's settings.
"""

from webapp.config import load_webapp_settings
from webapp.django_settings import build_settings

globals().update(build_settings(load_webapp_settings()))
