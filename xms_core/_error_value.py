"""The reference's `Error` value: an XMS error object."""

from __future__ import annotations

from typing import final

import attrs


@final
@attrs.frozen
class Error:
    """An error object as XMS sends it with 400 and 403 (protocol 6).

    As in the reference, `Error(code, text)` takes its fields by position too.

    Attributes:
        code: A code to recognise the error by, e.g. `syntax_constraint_violation`.
        text: A human readable description.
    """

    code: str
    text: str
