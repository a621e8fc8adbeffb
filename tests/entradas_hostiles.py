"""Usernames hostiles e internacionales de la issue: datos que deben ir y volver exactos."""

USERNAMES_HOSTILES = [
    "' OR '1'='1",
    "x'; DROP TABLE usuario; --",
    "ñandú😀",
    "名前",
    'a"b\\c%_',
    "a" * 50,
    "😀" * 50,
]
