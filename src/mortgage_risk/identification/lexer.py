"""Tokens of the rule-condition language, scanned by hand; positions are character offsets."""

from __future__ import annotations

from dataclasses import dataclass

from mortgage_risk.identification.errors import RuleSyntaxError

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "None", "True", "False",
                      "none", "true", "false", "null"})
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "(", ")", "[", "]",
              ",", ".")
_MISTAKES = {"=": "use '==' to compare", "&&": "use 'and'", "||": "use 'or'",
             "!": "use 'not'", "&": "use 'and'", "|": "use 'or'", "**": "powers are not allowed",
             "<>": "use '!='", "（": "use ASCII '('", "）": "use ASCII ')'",
             "，": "use ASCII ','", "“": "use ASCII quotes", "”": "use ASCII quotes",
             "＝": "use '=='", "＞": "use ASCII '>'", "＜": "use ASCII '<'"}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
MAX_LENGTH = 4000


@dataclass(frozen=True)
class Token:
    """``kind`` is number, string, name, keyword, op or end; ``value`` the decoded literal."""

    kind: str
    text: str
    pos: int
    value: object = None


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` ending with an ``end`` token; RuleSyntaxError on a bad character."""
    if len(text) > MAX_LENGTH:
        raise RuleSyntaxError(f"condition longer than {MAX_LENGTH} characters", MAX_LENGTH,
                              text=text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
        elif ch.isascii() and (ch.isdigit() or (ch == "." and text[i + 1:i + 2].isdigit())):
            i = _number(text, i, tokens)
        elif ch in "\"'":
            i = _string(text, i, tokens)
        elif ch.isascii() and (ch.isalpha() or ch == "_"):
            j = i
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            if word.startswith("_"):
                raise RuleSyntaxError(f"names may not start with '_' ({word!r})", i, text=text)
            tokens.append(Token("keyword" if word in KEYWORDS else "name", word, i, word))
            i = j
        else:
            i = _operator(text, i, tokens)
    tokens.append(Token("end", "", n))
    return tokens


def _number(text: str, i: int, tokens: list[Token]) -> int:
    j, n = i, len(text)
    while j < n and text[j].isascii() and text[j].isdigit():
        j += 1
    is_float = False
    if j < n and text[j] == "." and text[j + 1:j + 2].isdigit():
        is_float = True
        j += 1
        while j < n and text[j].isascii() and text[j].isdigit():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k].isascii() and text[k].isdigit():
            is_float = True
            j = k
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
    if j < n and (text[j].isalnum() or text[j] in "_."):
        raise RuleSyntaxError(f"malformed number {text[i:j + 1]!r}", i, text=text)
    raw = text[i:j]
    tokens.append(Token("number", raw, i, float(raw) if is_float else int(raw)))
    return j


def _string(text: str, i: int, tokens: list[Token]) -> int:
    quote, j, n = text[i], i + 1, len(text)
    out: list[str] = []
    while j < n and text[j] != quote:
        if text[j] == "\n":
            break
        if text[j] == "\\":
            esc = text[j + 1:j + 2]
            if esc not in _ESCAPES:
                raise RuleSyntaxError(f"unknown escape '\\{esc}' in string", j, text=text)
            out.append(_ESCAPES[esc])
            j += 2
        else:
            out.append(text[j])
            j += 1
    if j >= n or text[j] != quote:
        raise RuleSyntaxError("unterminated string", i, text=text)
    tokens.append(Token("string", text[i:j + 1], i, "".join(out)))
    return j + 1


def _operator(text: str, i: int, tokens: list[Token]) -> int:
    two = text[i:i + 2]
    if two in _MISTAKES and two not in _OPERATORS:
        raise RuleSyntaxError(f"unexpected {two!r}: {_MISTAKES[two]}", i, text=text)
    for op in _OPERATORS:
        if text.startswith(op, i):
            tokens.append(Token("op", op, i, op))
            return i + len(op)
    ch = text[i]
    hint = f": {_MISTAKES[ch]}" if ch in _MISTAKES else ""
    raise RuleSyntaxError(f"unexpected character {ch!r}{hint}", i, text=text)
