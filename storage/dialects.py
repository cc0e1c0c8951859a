"""The SQL we write is SQLite's; this turns it into PostgreSQL's, for the few things that differ.

We chose one set of SQL with a small translation over per-dialect copies: the repositories'
statements are already portable (ON CONFLICT, RETURNING, `excluded.`, partial indexes), and the
numbered migrations differ only in SQLite's types and implicit columns, so a copy of every file
would be a second schema to keep in step for no statement that truly differs. What changes,
applied only outside string literals, quoted names and comments:

- every statement: `?` placeholders become `$1, $2, …`; `INSERT OR IGNORE` becomes
  `INSERT … ON CONFLICT DO NOTHING`;
- migrations: SQLite's 64-bit INTEGER is BIGINT and its 8-byte REAL is DOUBLE PRECISION; an
  `INTEGER PRIMARY KEY` (with or without AUTOINCREMENT) fills itself in when left out, as in
  SQLite, so it becomes an identity column; and a table without one gets the `rowid` column
  SQLite gives every table, so `ORDER BY rowid` (the order rows were added) means the same.

Anything else of SQLite's own (strftime, PRAGMA, INSERT OR REPLACE, …) is refused here with its
name, rather than failing later in a way that hides where it came from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass


class UnportableSQL(ValueError):
    """A statement uses SQLite-only SQL that has no translation here."""


@dataclass(frozen=True)
class Segment:
    kind: str  # "code", "string", "name" (a double-quoted identifier) or "comment"
    text: str


_TOKEN = re.compile(
    r"(?P<string>'(?:[^']|'')*')"
    r"|(?P<name>\"(?:[^\"]|\"\")*\")"
    r"|(?P<comment>--[^\n]*|/\*.*?\*/)",
    re.DOTALL,
)


def segments(sql: str) -> Iterator[Segment]:
    """`sql` cut into code and the literals, quoted names and comments between it."""
    position = 0
    for match in _TOKEN.finditer(sql):
        if match.start() > position:
            yield Segment("code", sql[position:match.start()])
        yield Segment(match.lastgroup or "code", match.group())
        position = match.end()
    if position < len(sql):
        yield Segment("code", sql[position:])


def _code_only(sql: str, rewrite: Callable[[str], str]) -> str:
    return "".join(rewrite(s.text) if s.kind == "code" else s.text for s in segments(sql))


_SQLITE_ONLY = (
    (re.compile(r"(?i)\bINSERT\s+OR\s+(REPLACE|ABORT|FAIL|ROLLBACK)\b"), "INSERT OR …"),
    (re.compile(r"(?i)\bREPLACE\s+INTO\b"), "REPLACE INTO"),
    (re.compile(r"(?i)\bPRAGMA\b"), "PRAGMA"),
    (re.compile(r"(?i)\b(strftime|datetime|julianday|unixepoch|json_extract|json_set|"
                r"group_concat|ifnull|last_insert_rowid|changes)\s*\("), "a SQLite function"),
    (re.compile(r"(?i)\bWITHOUT\s+ROWID\b"), "WITHOUT ROWID"),
    (re.compile(r"(?i)\bsqlite_master\b"), "sqlite_master"),
)


def _refuse_sqlite_only(code: str) -> None:
    for pattern, what in _SQLITE_ONLY:
        found = pattern.search(code)
        if found:
            raise UnportableSQL(
                f"{what} ({found.group().strip()!r}) is SQLite's own SQL and has no PostgreSQL "
                "translation in storage/dialects.py: write the statement portably"
            )


_INSERT_OR_IGNORE = re.compile(r"(?i)\bINSERT\s+OR\s+IGNORE\b")
_RETURNING = re.compile(r"(?i)\bRETURNING\b")


@functools.lru_cache(maxsize=2048)
def postgres_statement(sql: str) -> str:
    """One statement as PostgreSQL takes it: numbered placeholders, no INSERT OR IGNORE."""
    parts = list(segments(sql))
    code = "".join(p.text for p in parts if p.kind == "code")
    _refuse_sqlite_only(code)
    counter = 0

    def number(text: str) -> str:
        nonlocal counter
        out = []
        for char in text:
            if char == "?":
                counter += 1
                out.append(f"${counter}")
            else:
                out.append(char)
        return "".join(out)

    translated = "".join(number(p.text) if p.kind == "code" else p.text for p in parts)
    if _INSERT_OR_IGNORE.search(code):
        translated = _on_conflict_do_nothing(translated)
    return translated


def _on_conflict_do_nothing(sql: str) -> str:
    """`INSERT OR IGNORE INTO t …` → `INSERT INTO t … ON CONFLICT DO NOTHING` (before any
    RETURNING, which must stay last)."""
    parts = list(segments(sql))
    sql = "".join(_INSERT_OR_IGNORE.sub("INSERT", p.text) if p.kind == "code" else p.text
                  for p in parts)
    cut = None
    offset = 0
    for part in segments(sql):
        if part.kind == "code" and (found := _RETURNING.search(part.text)):
            cut = offset + found.start()
        offset += len(part.text)
    body, tail = (sql[:cut], sql[cut:]) if cut is not None else (sql.rstrip().rstrip(";"), "")
    return f"{body.rstrip()} ON CONFLICT DO NOTHING{' ' + tail if tail else ''}"


# ── Migrations ────────────────────────────────────────────────────────────────────────────────

_INTEGER_KEY = re.compile(r"(?i)\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b")
_IDENTITY_KEY = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
_TYPES = ((re.compile(r"(?i)\bINTEGER\b"), "BIGINT"), (re.compile(r"(?i)\bREAL\b"),
                                                       "DOUBLE PRECISION"))
_CREATE_TABLE = re.compile(r"(?i)\bCREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?[\w.]+\s*\(")
ROWID_COLUMN = "rowid BIGINT GENERATED ALWAYS AS IDENTITY"


def postgres_schema(script: str) -> str:
    """A migration script (SQLite DDL and DML, several statements) as PostgreSQL runs it."""

    def types(code: str) -> str:
        _refuse_sqlite_only(code)
        code = _INTEGER_KEY.sub(_IDENTITY_KEY, code)
        for pattern, replacement in _TYPES:
            code = pattern.sub(replacement, code)
        return code

    return _with_rowids(_code_only(script, types))


def _with_rowids(script: str) -> str:
    """Give each created table without an identity key a trailing `rowid` identity column."""
    out: list[str] = []
    position = 0
    code = "".join(s.text if s.kind == "code" else " " * len(s.text) for s in segments(script))
    for match in _CREATE_TABLE.finditer(code):
        close = _closing_paren(code, match.end() - 1)
        body = code[match.end():close]
        out.append(script[position:close])
        if "IDENTITY PRIMARY KEY" not in body.upper():
            out.append(f",\n    {ROWID_COLUMN}\n")
        position = close
    out.append(script[position:])
    return "".join(out)


def _closing_paren(code: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(code)):
        if code[index] == "(":
            depth += 1
        elif code[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise UnportableSQL("a CREATE TABLE statement has no closing parenthesis")
