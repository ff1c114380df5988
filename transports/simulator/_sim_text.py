r"""Message texts for the simulator: templates, GSM-7 / UCS-2 part counting, binary parts.

Counting rules (protocol section 8):

* GSM 03.38: a body made only of the basic table and the extension table is sent as
  GSM-7 (reported as encoding `text`): 160 septets in one SMS, 153 per part when
  concatenated; each extension character (`^ { } \ [ ~ ] | €` and form feed) takes two
  septets and is never split across parts.
* Anything else is sent as UCS-2 (encoding `unicode`): 70 UTF-16 code units in one SMS,
  67 per part; a surrogate pair is never split.
* Binary: 140 bytes including the UDH fit one SMS, and XMS takes no more (protocol 4.3):
  the batch handlers refuse a longer one. `binary_parts` still says how an SMSC would
  split one (`134 - len(udh)` body bytes a part, each with the UDH and a 6-byte
  concatenation header), for the delivery reports of messages accepted earlier.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping

# GSM 03.38 basic character set, in table order (0x1B, the escape to the extension
# table, is left out: it is not a character a user can send).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
) - {"\x1b"}
# GSM 03.38 extension table: each takes an escape septet plus its own.
GSM_EXTENSION = frozenset("\x0c^{}\\[~]|€")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
BINARY_SINGLE, BINARY_PART = 140, 134

TEXT = "text"
UNICODE = "unicode"
BINARY = "binary"

_PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")


def is_gsm(text: str) -> bool:
    """Return whether `text` can be sent in the GSM-7 alphabet."""
    return all(c in GSM_BASIC or c in GSM_EXTENSION for c in text)


def _units(text: str) -> tuple[list[int], int, int, str]:
    if is_gsm(text):
        return [2 if c in GSM_EXTENSION else 1 for c in text], GSM_SINGLE, GSM_PART, TEXT
    return [2 if ord(c) > 0xFFFF else 1 for c in text], UCS2_SINGLE, UCS2_PART, UNICODE  # noqa: PLR2004


def count_parts(text: str) -> tuple[int, str]:
    """Return (number of SMS parts, encoding) for a text body; an empty body is one part."""
    units, single, per_part, encoding = _units(text)
    if sum(units) <= single:
        return 1, encoding
    parts, used = 1, 0
    for unit in units:
        if used + unit > per_part:
            parts, used = parts + 1, 0
        used += unit
    return parts, encoding


def truncate(text: str) -> str:
    """Return the longest prefix of `text` that fits one SMS (for `truncate_concat`)."""
    units, single, _, _ = _units(text)
    used = 0
    for index, unit in enumerate(units):
        if used + unit > single:
            return text[:index]
        used += unit
    return text


def binary_parts(body_length: int, udh_length: int) -> int | None:
    """Return the number of parts of a binary message, or None if it cannot be split."""
    if body_length + udh_length <= BINARY_SINGLE:
        return 1
    room = BINARY_PART - udh_length
    if room <= 0:
        return None
    return math.ceil(body_length / room)


def b64_bytes(value: str) -> bytes | None:
    """Decode standard Base64 (line breaks ignored, padding required), or None if invalid."""
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def b64_text(data: bytes) -> str:
    """Encode standard Base64 with padding and no line break."""
    return base64.b64encode(data).decode("ascii")


def hex_bytes(value: str) -> bytes | None:
    """Decode hex of either case, or None if invalid."""
    try:
        return binascii.unhexlify(value)
    except (binascii.Error, ValueError):
        return None


def expand(
    body: str, parameters: Mapping[str, Mapping[str, str]] | None, recipient: str
) -> tuple[str, bool]:
    """Fill `${key}` placeholders for `recipient` (its MSISDN digits).

    A key found in `parameters` takes the recipient's value, else the `default` value;
    with neither, the placeholder is left in place and the second result is False
    (protocol 4.2: such a recipient's message is aborted with code 405). Placeholders
    whose key is not a parameter are plain text.

    Returns:
        The expanded body and whether every parameter placeholder was matched.
    """
    if not parameters:
        return body, True
    matched = True

    def fill(match: re.Match[str]) -> str:
        nonlocal matched
        values = parameters.get(match[1])
        if values is None:
            return match[0]
        value = values.get(recipient, values.get("default"))
        if value is None:
            matched = False
            return match[0]
        return value

    return _PLACEHOLDER.sub(fill, body), matched
