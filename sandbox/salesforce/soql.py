"""A SOQL tokenizer and recursive-descent parser for the subset the emulator answers.

The parser only builds a syntax tree; `query.py` checks names against the schema and evaluates.
Anything outside the subset is a MALFORMED_QUERY, never a guess.
"""
import re
from dataclasses import dataclass, field

from .errors import malformed_query

KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER", "BY", "ASC",
            "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE",
            "GROUP", "HAVING", "WITH", "FOR", "USING", "INCLUDES", "EXCLUDES", "TYPEOF"}
# Words that can never be a name (ORDER can: `FROM Order`, `Order.Account.Name`).
RESERVED = KEYWORDS - {"ORDER", "FIRST", "LAST", "ASC", "DESC", "NULLS", "BY"}
DATE_FUNCTIONS = {"TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS"}

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
  | (?P<number>[+-]?\d+(?:\.\d+)?(?![\w-]))
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<ident>[A-Za-z][A-Za-z0-9_]*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),.:])
""", re.VERBOSE)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\",
           "%": "\\%", "_": "\\_"}


@dataclass
class Token:
    kind: str
    value: object
    pos: int

    def is_kw(self, *words) -> bool:
        return self.kind == "ident" and str(self.value).upper() in words


def _unescape(body: str, pos: int) -> str:
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt not in ESCAPES:
                raise malformed_query(f"Invalid string literal at position {pos}: bad escape")
            out.append(ESCAPES[nxt])  # \% and \_ stay escaped for LIKE
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def tokenize(text: str) -> list:
    tokens, pos = [], 0
    while pos < len(text):
        match = TOKEN_RE.match(text, pos)
        if not match:
            raise malformed_query(f"unexpected token: '{text[pos:pos + 10]}' at position {pos}")
        kind = match.lastgroup
        raw = match.group(kind)
        if kind == "string":
            tokens.append(Token("string", _unescape(raw[1:-1], pos), pos))
        elif kind != "ws":
            tokens.append(Token(kind, raw, pos))
        pos = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


# --- syntax tree -----------------------------------------------------------------------------

@dataclass
class Path:
    parts: list  # identifiers as written, e.g. ["Account", "Owner", "Email"]

    def text(self):
        return ".".join(self.parts)


@dataclass
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, datefn
    value: object
    arg: int = 0  # LAST_N_DAYS:n


@dataclass
class Comparison:
    path: Path
    op: str  # = != < > <= >= LIKE IN NOTIN
    value: object  # Literal, list of Literal, or Query (semi-join)


@dataclass
class Logical:
    op: str  # AND, OR, NOT
    items: list


@dataclass
class OrderKey:
    path: Path
    descending: bool = False
    nulls_last: bool | None = None


@dataclass
class Count:
    path: Path | None
    alias: str | None = None


@dataclass
class Query:
    select: list  # Path, Count, or Query (child subquery)
    sobject: str
    where: object = None
    order_by: list = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


# --- parser ----------------------------------------------------------------------------------

class Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tok
        self.i += 1
        return token

    def fail(self, expected: str = ""):
        token = self.tok
        shown = "end of query" if token.kind == "end" else f"'{token.value}'"
        extra = f", expected {expected}" if expected else ""
        raise malformed_query(f"unexpected token: {shown} at position {token.pos}{extra}")

    def expect_kw(self, word: str):
        if not self.tok.is_kw(word):
            self.fail(word)
        self.take()

    def expect_punct(self, char: str):
        if self.tok.kind != "punct" or self.tok.value != char:
            self.fail(f"'{char}'")
        self.take()

    def at_punct(self, char: str) -> bool:
        return self.tok.kind == "punct" and self.tok.value == char

    def ident(self) -> str:
        if self.tok.kind != "ident" or str(self.tok.value).upper() in RESERVED:
            self.fail("a name")
        return self.take().value

    def parse(self) -> Query:
        query = self.query()
        if self.tok.kind != "end":
            self.fail()
        return query

    def query(self) -> Query:
        self.expect_kw("SELECT")
        select = [self.select_item()]
        while self.at_punct(","):
            self.take()
            select.append(self.select_item())
        self.expect_kw("FROM")
        query = Query(select, self.ident())
        if self.tok.is_kw("WHERE"):
            self.take()
            query.where = self.condition()
        if self.tok.is_kw("GROUP", "HAVING", "WITH", "USING", "FOR"):
            raise malformed_query(f"{self.tok.value.upper()} is not supported by the sandbox")
        if self.tok.is_kw("ORDER"):
            self.take()
            self.expect_kw("BY")
            query.order_by = [self.order_key()]
            while self.at_punct(","):
                self.take()
                query.order_by.append(self.order_key())
        if self.tok.is_kw("LIMIT"):
            self.take()
            query.limit = self.integer()
        if self.tok.is_kw("OFFSET"):
            self.take()
            query.offset = self.integer()
        return query

    def order_key(self) -> OrderKey:
        key = OrderKey(self.path())
        if self.tok.is_kw("ASC", "DESC"):
            key.descending = self.take().value.upper() == "DESC"
        if self.tok.is_kw("NULLS"):
            self.take()
            if not self.tok.is_kw("FIRST", "LAST"):
                self.fail("FIRST or LAST")
            key.nulls_last = self.take().value.upper() == "LAST"
        return key

    def integer(self) -> int:
        if self.tok.kind != "number" or not re.fullmatch(r"\d+", self.tok.value):
            self.fail("a whole number")
        return int(self.take().value)

    def select_item(self):
        if self.at_punct("("):
            self.take()
            sub = self.query()
            self.expect_punct(")")
            return sub
        if self.tok.is_kw("TYPEOF"):
            raise malformed_query("TYPEOF is not supported by the sandbox")
        name = self.ident()
        if self.at_punct("("):
            if name.upper() != "COUNT":
                raise malformed_query(f"function {name} is not supported by the sandbox")
            self.take()
            path = None if self.at_punct(")") else self.path()
            self.expect_punct(")")
            alias = None
            if self.tok.kind == "ident" and str(self.tok.value).upper() not in KEYWORDS:
                alias = self.take().value
            return Count(path, alias)
        return self.path(first=name)

    def path(self, first: str | None = None) -> Path:
        parts = [first or self.ident()]
        while self.at_punct("."):
            self.take()
            parts.append(self.ident())
        return Path(parts)

    def condition(self):
        items = [self.unary()]
        op = None
        while self.tok.is_kw("AND", "OR"):
            word = self.take().value.upper()
            if op and word != op:
                raise malformed_query("unexpected token: " + word + " — use parentheses to mix "
                                      "AND and OR")
            op = word
            items.append(self.unary())
        return Logical(op, items) if op else items[0]

    def unary(self):
        if self.tok.is_kw("NOT"):
            self.take()
            return Logical("NOT", [self.unary()])
        if self.at_punct("("):
            self.take()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        path = self.path()
        if self.tok.kind == "op":
            op = {"<>": "!="}.get(self.tok.value, self.tok.value)
            self.take()
            return Comparison(path, op, self.literal())
        if self.tok.is_kw("LIKE"):
            self.take()
            return Comparison(path, "LIKE", self.literal())
        negate = False
        if self.tok.is_kw("NOT"):
            self.take()
            negate = True
        if not self.tok.is_kw("IN"):
            self.fail("an operator")
        self.take()
        self.expect_punct("(")
        if self.tok.is_kw("SELECT"):
            values = self.query()
        else:
            values = [self.literal()]
            while self.at_punct(","):
                self.take()
                values.append(self.literal())
        self.expect_punct(")")
        return Comparison(path, "NOTIN" if negate else "IN", values)

    def literal(self) -> Literal:
        token = self.take()
        if token.kind == "string":
            return Literal("string", token.value)
        if token.kind == "number":
            return Literal("number", float(token.value))
        if token.kind in ("date", "datetime"):
            return Literal(token.kind, token.value)
        if token.kind == "ident":
            word = token.value.upper()
            if word in ("TRUE", "FALSE"):
                return Literal("boolean", word == "TRUE")
            if word == "NULL":
                return Literal("null", None)
            if word in DATE_FUNCTIONS:
                arg = 0
                if word.endswith("_N_DAYS"):
                    self.expect_punct(":")
                    arg = self.integer()
                return Literal("datefn", word, arg)
        self.i -= 1
        self.fail("a value")


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise malformed_query("A query is required (parameter q)")
    return Parser(text).parse()
