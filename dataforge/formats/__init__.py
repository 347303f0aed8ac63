"""The four on-disk formats. Each module (chat, alpaca, sharegpt, prompt_completion) has NAME, KEYS, MODEL,
to_record, from_record and field; `registry.FORMATS` maps names to them.

This package file stays light (no pydantic): detection and the fast path need only the names and keys, so a
`dataforge validate` of clean data never builds a pydantic model.
"""

# name -> the top-level keys that identify a record of that format, in detection order
KEYS: dict[str, tuple[str, ...]] = {
    "chat": ("messages",),
    "alpaca": ("instruction", "output"),
    "sharegpt": ("conversations",),
    "prompt-completion": ("prompt", "completion"),
}
NAMES = tuple(KEYS)
