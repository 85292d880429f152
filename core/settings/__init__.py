"""Settings per environment: `base` is what they share; `local` (DEBUG on, `make run`) and
`production` (DEBUG off, the default) hold what differs; `test` is the suite's."""

from decouple import config


def default_settings_module() -> str:
    """The module of the environment DEBUG names, for entry points not told otherwise."""
    debug = config("DEBUG", default=False, cast=bool)
    return "core.settings.local" if debug else "core.settings.production"
