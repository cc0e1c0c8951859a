"""Everything Telegram: the Application, its handlers, texts, the web server and the CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deal-scout")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"
