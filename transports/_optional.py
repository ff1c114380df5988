"""What a module says when an optional dependency of the SDK is not installed."""

from __future__ import annotations


def missing_extra(module: str, error: ImportError, extra: str) -> ImportError:
    """Return the `ImportError` to raise when `module` cannot import a package of `extra`.

    Args:
        module: The SDK module that needs the package, e.g. `transports.trio`.
        error: The original import failure (chained by the caller).
        extra: The extra that installs what is missing, e.g. `trio`.
    """
    package = error.name or str(error)
    return ImportError(
        f"{module} needs the {package!r} package, which is not installed:"
        f" pip install 'xms[{extra}]'",
        name=error.name,
    )
