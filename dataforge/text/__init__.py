"""Turkish text helpers: casing, normalisation, mojibake and asciified-text detection."""
