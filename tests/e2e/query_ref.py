#!/usr/bin/env python3
"""query_ref.py — a reference implementation of `kumo query` for the
differential test tests/e2e/query_diff.sh (python3, standard library only).

It reads the events of a store as `kumo events --format jsonl` prints them (an
independent code path from the query executor), generates random pipelines
from a grammar over the normalized fields (seeded, reproducible), evaluates
each one here with the semantics documented in src/query/exec.h and
src/query/query.h, runs `kumo query --format jsonl` on the same text, and
compares the answers:

  * rows as multisets (column names and order must match exactly);
  * `sort ... [| limit N]` at the end: the sequence of sort-key values must
    be equal, and the rows too, except that among rows tied with the last kept
    key any subset of the tied rows is accepted (the order of ties, and which
    of them a limit keeps, is not defined);
  * `limit N` without sort: N rows (or all), each one a row of the full answer;
  * `dedup K` followed by nothing: the key values are exactly the distinct
    keys, and each row is one of the rows the pipeline had before dedup
    (which representative is kept depends on scan order).
A query whose answer is ambiguous under these rules (earliest()/latest() of
different values at the same time) is replaced by another one.

Queries use the normalized fields only (raw JSON paths are covered by
tests/e2e/query_golden.sh); about one in ten also gets --since/--until.

Usage: query_ref.py --events EV.jsonl --kumo KUMO --store STORE --seed N
                    [--count N] [--budget SECONDS] [--verbose] [--keep FILE]
Prints "ok - query_diff_<shape> ..." / "FAIL - query_diff_<shape> ..." lines
and, for each mismatch (at most 5 shown in full), the query, the seed and
the first differing rows. Exit status 1 on any mismatch.
"""
import argparse
import datetime
import functools
import ipaddress
import json
import math
import random
import re
import shlex
import subprocess
import sys
import time as _time

# ---- values ---------------------------------------------------------------
# A value is a tuple (tag, v): N missing, S str, I int, F float, T time (µs),
# B bool (0/1) — the executor's struct km_qval.
NULL = ('N', None)
TRUE = ('B', 1)
FALSE = ('B', 0)


def vbool(b):
    return TRUE if b else FALSE


EPOCH = datetime.datetime(1970, 1, 1)


def iso(us, tz_min=0):
    us += tz_min * 60000000
    sec, frac = divmod(us, 1000000)
    d = EPOCH + datetime.timedelta(seconds=sec)
    s = d.strftime('%Y-%m-%dT%H:%M:%S')
    if frac:
        s += '.%06d' % frac
    if tz_min:
        s += '%c%02d:%02d' % ('-' if tz_min < 0 else '+', abs(tz_min) // 60, abs(tz_min) % 60)
    else:
        s += 'Z'
    return s


_ISO_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?'
                     r'(Z|[+-]\d{2}:\d{2})?)?$')


def time_parse(s):
    """The ISO 8601 forms the generator writes (a subset of km_time_parse);
    None for anything else (the generator only writes those or clear junk)."""
    m = _ISO_RE.match(s)
    if not m:
        return None
    y, mo, d, hh, mi, ss, fr, z = m.groups()
    try:
        base = datetime.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return None
    us = (base - EPOCH) // datetime.timedelta(microseconds=1)
    if fr:
        us += int((fr + '000000')[:6])
    if z and z != 'Z':
        off = (int(z[1:3]) * 60 + int(z[4:6])) * (1 if z[0] == '+' else -1)
        us -= off * 60000000
    return us


def fmt_float(f):
    if f == math.floor(f) and abs(f) < 1e15:
        return '%.0f' % f
    return '%.6g' % f


def fmt(v):
    """km_qval_fmt with tz 0."""
    t, x = v
    if t == 'N':
        return ''
    if t == 'S':
        return x
    if t == 'I':
        return str(x)
    if t == 'B':
        return 'true' if x else 'false'
    if t == 'F':
        return fmt_float(x)
    return iso(x)


_DEC_RE = re.compile(r'^[ \t\n\v\f\r]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$')
_HEX_RE = re.compile(r'^[ \t\n\v\f\r]*[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)'
                     r'(?:[pP][+-]?[0-9]+)?$')


def num(v):
    """A value as a number (C strtod over the whole text for strings), or None."""
    t, x = v
    if t in ('I', 'T', 'B'):
        return float(x)
    if t == 'F':
        return x
    if t == 'S':
        n = len(x.encode())
        if n == 0 or n > 60:
            return None
        if _DEC_RE.match(x):
            d = float(x.strip(' \t\n\v\f\r'))
        elif _HEX_RE.match(x):
            d = float.fromhex(x.strip(' \t\n\v\f\r'))
        else:
            return None
        return d if math.isfinite(d) else None
    return None


def cmp3(a, b):
    return (a > b) - (a < b)


def qcmp(a, b):
    """(order, comparable) of two present values, per exec.h: strings bytewise
    (code-point order of valid UTF-8 is byte order), a time with an ISO string,
    a bool with "true"/"false", numbers numerically, else as text."""
    ta, tb = a[0], b[0]
    if ta == 'S' and tb == 'S':
        return cmp3(a[1], b[1]), True
    if (ta == 'T' and tb == 'S') or (ta == 'S' and tb == 'T'):
        t, s = (a, b) if ta == 'T' else (b, a)
        us = time_parse(s[1])
        if us is None:
            return 0, False
        c = cmp3(t[1], us)
        return (c if ta == 'T' else -c), True
    if ta == 'B' and tb == 'S':
        return (0 if b[1] == ('true' if a[1] else 'false') else 1), True
    if ta == 'S' and tb == 'B':
        return (0 if a[1] == ('true' if b[1] else 'false') else 1), True
    x, y = num(a), num(b)
    if x is not None and y is not None:
        return cmp3(x, y), True
    return cmp3(fmt(a), fmt(b)), True


def truthy(v):
    t, x = v
    if t in ('B', 'I', 'F'):
        return x != 0
    if t == 'S':
        return len(x) > 0
    return t == 'T'


def present(v):
    return v[0] != 'N' and not (v[0] == 'S' and v[1] == '')


def to_json(v):
    """The value as `kumo query --format jsonl` prints it, parsed back."""
    t, x = v
    if t == 'N':
        return None
    if t == 'S':
        return x
    if t == 'T':
        return iso(x)
    if t == 'B':
        return bool(x)
    if t == 'I':
        return x
    return json.loads(fmt_float(x))


def ip16(s):
    try:
        a = ipaddress.ip_address(s)
    except ValueError:
        return None
    if a.version == 4:
        return (0xffff << 32) | int(a)
    return int(a)


# ---- expressions ------------------------------------------------------------

KEYWORDS = {'and', 'or', 'not', 'in', 'like', 'as', 'by', 'asc', 'desc', 'true', 'false'}


def render_str(s):
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == '\\':
            out.append('\\\\')
        elif ch == '\n':
            out.append('\\n')
        elif ch == '\t':
            out.append('\\t')
        elif ch == '\r':
            out.append('\\r')
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append('\\u%04x' % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def render_lit(v):
    t, x = v
    if t == 'S':
        return render_str(x)
    if t == 'I':
        return str(x)
    if t == 'F':
        return repr(x)
    if t == 'B':
        return 'true' if x else 'false'
    raise ValueError(v)


class Scope:
    """What a field name means at one point of the pipeline (exec.c's
    compile state): a column made by an earlier fields/display/parse/stats,
    else (before any stats) a normalized field of the event."""

    def __init__(self):
        self.slots = set()
        self.base = True


# Compiled expressions work on a list of rows at once and return the list of
# their values (fewer Python calls than one closure call per node and row).

class Lit:
    def __init__(self, v):
        self.v = v

    def render(self):
        return render_lit(self.v)

    def compile(self, sc):
        v = self.v
        return lambda rows: [v] * len(rows)


class SecLit(Lit):
    """A number compared with time: Unix epoch seconds (docs/query.md)."""
    def render(self):
        return str(self.v[1] // 1000000)


class Field:
    def __init__(self, name, ticks=False):
        self.name = name
        self.ticks = ticks

    def render(self):
        if self.ticks:
            return '.'.join('`%s`' % s for s in self.name.split('.'))
        return self.name

    def compile(self, sc):
        n = self.name
        if n in sc.slots:
            return lambda rows: [r.sl.get(n, NULL) for r in rows]
        if not sc.base:
            return lambda rows: [NULL] * len(rows)
        return lambda rows: [r.ev.get(n, NULL) for r in rows]


LOWER = str.maketrans('ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')


class Call:
    def __init__(self, fn, args):
        self.fn = fn
        self.args = args

    def render(self):
        return '%s(%s)' % (self.fn, ', '.join(a.render() for a in self.args))

    def compile(self, sc):
        fn = self.fn
        if fn == 'bin':
            d = self.args[0].us
            tf = Field('time').compile(sc)
            return lambda rows: [('T', t[1] // d * d) if t[0] == 'T' else NULL for t in tf(rows)]
        a = [x.compile(sc) for x in self.args]
        if fn == 'ispresent':
            a0 = a[0]
            return lambda rows: [vbool(present(v)) for v in a0(rows)]
        if fn == 'isIpInSubnet':
            a0 = a[0]
            cidr = self.args[1].v[1]
            host, _, bits = cidr.partition('/')
            net = ip16(host)
            v4 = ':' not in host
            nb = int(bits) if bits else (32 if v4 else 128)
            if v4:
                nb += 96
            mask = ((1 << nb) - 1) << (128 - nb) if nb else 0

            def f_ip(v):
                if v[0] != 'S':
                    return FALSE
                x = ip16(v[1])
                return vbool(x is not None and (x & mask) == (net & mask))
            return lambda rows: [f_ip(v) for v in a0(rows)]
        if fn == 'coalesce':
            def f_co(rows):
                out = [NULL] * len(rows)
                idx = list(range(len(rows)))
                for g in a:
                    if not idx:
                        break
                    vals = g([rows[i] for i in idx])
                    rest = []
                    for i, v in zip(idx, vals):
                        if present(v):
                            out[i] = v
                        else:
                            rest.append(i)
                    idx = rest
                return out
            return f_co
        if fn == 'tolower':
            a0 = a[0]
            return lambda rows: [('S', v[1].translate(LOWER)) if v[0] == 'S' else v for v in a0(rows)]
        if fn == 'strlen':
            a0 = a[0]
            return lambda rows: [NULL if v[0] == 'N' else ('I', len(fmt(v).encode())) for v in a0(rows)]
        raise ValueError(fn)


class Star:
    """The * of count(*)."""

    def render(self):
        return '*'


class Dur:
    """A duration literal (only as the argument of bin)."""

    def __init__(self, text, us):
        self.text = text
        self.us = us

    def render(self):
        return self.text


def paren(x, need):
    s = x.render()
    return '(' + s + ')' if need else s


class Not:
    def __init__(self, x):
        self.x = x

    def render(self):
        return 'not ' + paren(self.x, isinstance(self.x, (And, Or)) or random.random() < 0.3)

    def compile(self, sc):
        f = self.x.compile(sc)
        return lambda rows: [FALSE if truthy(v) else TRUE for v in f(rows)]


def chain(fs, stop_on):
    """and (stop_on False) / or (stop_on True): each operand is evaluated
    only on the rows it can still decide."""
    def f(rows):
        out = [vbool(not stop_on)] * len(rows)
        idx = list(range(len(rows)))
        for g in fs:
            if not idx:
                break
            vals = g([rows[i] for i in idx])
            rest = []
            for i, v in zip(idx, vals):
                if truthy(v) == stop_on:
                    out[i] = vbool(stop_on)
                else:
                    rest.append(i)
            idx = rest
        return out
    return f


class And:
    def __init__(self, xs):
        self.xs = xs

    def render(self):
        return ' and '.join(paren(x, isinstance(x, (Or, And))) for x in self.xs)

    def compile(self, sc):
        return chain([x.compile(sc) for x in self.xs], False)


class Or:
    def __init__(self, xs):
        self.xs = xs

    def render(self):
        return ' or '.join(paren(x, isinstance(x, Or) or (isinstance(x, And) and random.random() < 0.5))
                           for x in self.xs)

    def compile(self, sc):
        return chain([x.compile(sc) for x in self.xs], True)


CMP_OPS = {'=': lambda c: c == 0, '!=': lambda c: c != 0, '<': lambda c: c < 0,
           '<=': lambda c: c <= 0, '>': lambda c: c > 0, '>=': lambda c: c >= 0}


class Cmp:
    def __init__(self, op, a, b):
        self.op, self.a, self.b = op, a, b

    def render(self):
        return '%s %s %s' % (self.a.render(), self.op, self.b.render())

    def compile(self, sc):
        fa, fb, op = self.a.compile(sc), self.b.compile(sc), self.op
        test, missing = CMP_OPS[op], vbool(op == '!=')

        def one(x, y):
            if x[0] == 'N' or y[0] == 'N':
                return missing
            if x[0] == 'S' and y[0] == 'S':
                return vbool(test((x[1] > y[1]) - (x[1] < y[1])))
            c, ok = qcmp(x, y)
            return vbool(test(c)) if ok else missing
        return lambda rows: [one(x, y) for x, y in zip(fa(rows), fb(rows))]


class In:
    def __init__(self, a, lits, neg=False):
        self.a, self.lits, self.neg = a, lits, neg

    def render(self):
        br = ('[', ']') if random.random() < 0.8 else ('(', ')')
        return '%s %sin %s%s%s' % (self.a.render(), 'not ' if self.neg else '', br[0],
                                   ', '.join(render_lit(v) for v in self.lits), br[1])

    def compile(self, sc):
        fa, lits, neg = self.a.compile(sc), self.lits, self.neg

        def one(x):
            hit = False
            if x[0] != 'N':
                for v in lits:
                    c, ok = qcmp(x, v)
                    if ok and c == 0:
                        hit = True
                        break
            return vbool(hit != neg)
        return lambda rows: [one(x) for x in fa(rows)]


def wild_match(p, s):
    """The whole of s matches the pattern p: '%' any run of characters, '_'
    exactly one. The usual greedy glob match with one backtracking point
    (linear-ish; a regex with many '.*' can backtrack exponentially)."""
    pi = si = 0
    star, mark = -1, 0
    while si < len(s):
        if pi < len(p) and p[pi] == '%':
            star, mark = pi, si
            pi += 1
        elif pi < len(p) and (p[pi] == '_' or p[pi] == s[si]):
            pi += 1
            si += 1
        elif star >= 0:
            pi = star + 1
            mark += 1
            si = mark
        else:
            return False
    while pi < len(p) and p[pi] == '%':
        pi += 1
    return pi == len(p)


def render_regex(src, flags):
    return '/%s/%s' % (src, flags)


class Like:
    """like "substring" | like "wild%card_" | like /re/ | =~ /re/."""

    def __init__(self, a, pat, kind, flags='', neg=False, match_op=False):
        self.a, self.pat, self.kind, self.flags, self.neg, self.match_op = a, pat, kind, flags, neg, match_op

    def render(self):
        p = render_regex(self.pat, self.flags) if self.kind == 're' else render_str(self.pat)
        op = '=~' if self.match_op else ('not like' if self.neg else 'like')
        return '%s %s %s' % (self.a.render(), op, p)

    def compile(self, sc):
        fa, neg, pat = self.a.compile(sc), self.neg, self.pat
        if self.kind == 'sub':
            test = lambda s: pat in s  # noqa: E731
        elif self.kind == 'wild':
            test = lambda s: wild_match(pat, s)  # noqa: E731
        else:
            rx = re.compile(pat, re.I if 'i' in self.flags else 0)
            test = lambda s: rx.search(s) is not None  # noqa: E731

        def one(x):
            if x[0] == 'N':
                return vbool(neg)
            return vbool(test(fmt(x)) != neg)
        return lambda rows: [one(x) for x in fa(rows)]


# ---- commands -------------------------------------------------------------------

class Row:
    __slots__ = ('ev', 'sl')

    def __init__(self, ev, sl):
        self.ev, self.sl = ev, sl


class Ambiguous(Exception):
    pass


class Filter:
    def __init__(self, cond):
        self.cond = cond

    def render(self):
        return 'filter ' + self.cond.render()

    def run(self, rows, sc):
        return [r for r, v in zip(rows, self.cond.compile(sc)(rows)) if truthy(v)]


class Fields:
    """fields / display: items are (expr, alias or None, name)."""

    def __init__(self, items, display=False):
        self.items, self.display = items, display

    def names(self):
        return [n for _, _, n in self.items]

    def render(self):
        parts = []
        for x, alias, _ in self.items:
            parts.append(x.render() + (' as ' + alias if alias else ''))
        return ('display ' if self.display else 'fields ') + ', '.join(parts)

    def run(self, rows, sc):
        names = self.names()
        cols = [x.compile(sc)(rows) for x, _, _ in self.items]
        out = []
        for i, r in enumerate(rows):
            sl = dict(r.sl)
            for n, c in zip(names, cols):
                sl[n] = c[i]
            out.append(Row(r.ev, sl))
        sc.slots |= set(names)
        return out


class Parse:
    def __init__(self, field, pat, names, is_re):
        self.field, self.pat, self.names, self.is_re = field, pat, names, is_re

    def render(self):
        if self.is_re:
            return 'parse %s %s' % (self.field.render(), render_regex(self.pat, ''))
        return 'parse %s %s as %s' % (self.field.render(), render_str(self.pat), ', '.join(self.names))

    def glob(self, s):
        """The documented glob: the text before the first '*' is a prefix,
        each '*' captures up to the next literal piece (its first occurrence),
        and the piece after the last '*' must end the text."""
        parts = self.pat.split('*')
        pre = parts[0]
        if not s.startswith(pre):
            return None
        pos = len(pre)
        caps = []
        lits = parts[1:]
        for k, lit in enumerate(lits):
            last = k == len(lits) - 1
            if last and lit == '':
                end = len(s)
            elif lit == '':
                end = pos
            elif last:
                if len(s) - pos < len(lit) or not s.endswith(lit):
                    return None
                end = len(s) - len(lit)
            else:
                end = s.find(lit, pos)
                if end < 0:
                    return None
            caps.append(s[pos:end])
            pos = end + len(lit)
        return caps

    def run(self, rows, sc):
        vals = self.field.compile(sc)(rows)
        rx = re.compile(self.pat) if self.is_re else None
        out = []
        for r, v in zip(rows, vals):
            sl = dict(r.sl)
            for n in self.names:
                sl[n] = NULL
            if v[0] == 'S':
                if rx:
                    m = rx.search(v[1])
                    if m:
                        for n in self.names:
                            if m.group(n) is not None:
                                sl[n] = ('S', m.group(n))
                else:
                    caps = self.glob(v[1])
                    if caps is not None:
                        for n, c in zip(self.names, caps):
                            sl[n] = ('S', c)
            out.append(Row(r.ev, sl))
        sc.slots |= set(self.names)
        return out


class Stats:
    """aggs: (fn, [args], alias or None, name); by: (expr, alias or None, name)."""

    def __init__(self, aggs, by):
        self.aggs, self.by = aggs, by

    def names(self):
        return [n for _, _, n in self.by] + [n for _, _, _, n in self.aggs]

    def render(self):
        a = []
        for fn, args, alias, _ in self.aggs:
            s = '%s(%s)' % (fn, ', '.join(x.render() for x in args))
            a.append(s + (' as ' + alias if alias else ''))
        s = 'stats ' + ', '.join(a)
        if self.by:
            s += ' by ' + ', '.join(x.render() + (' as ' + al if al else '') for x, al, _ in self.by)
        return s

    def run(self, rows, sc):
        keycols = [x.compile(sc)(rows) for x, _, _ in self.by]
        argcols = [args[0].compile(sc)(rows) if args and not isinstance(args[0], Star) else None
                   for fn, args, _, _ in self.aggs]
        times = Field('time').compile(sc)(rows)
        groups = {}
        for i in range(len(rows)):
            groups.setdefault(tuple(c[i] for c in keycols), []).append(i)
        if not self.by and not groups:
            groups[()] = []   # stats without `by` over no rows: one row (count 0)
        out = []
        for k, idx in groups.items():
            sl = {}
            for (_, _, n), v in zip(self.by, k):
                sl[n] = v
            for (fn, args, _, n), col in zip(self.aggs, argcols):
                sl[n] = self.agg(fn, args, col, times, idx)
            out.append(Row(None, sl))
        sc.slots = set(self.names())
        sc.base = False
        return out

    @staticmethod
    def agg(fn, args, col, times, idx):
        if fn == 'count' and col is None:
            return ('I', len(idx))
        # missing values, and "" (missing for ispresent too), are not counted
        vals = [(col[i], i) for i in idx if col[i][0] != 'N' and col[i] != ('S', '')]
        if fn == 'count':
            return ('I', len(vals))
        if fn == 'count_distinct':
            return ('I', len({v for v, _ in vals}))
        if fn in ('sum', 'avg', 'pct'):
            nums = [(num(v), v) for v, _ in vals]
            nums = [(d, v) for d, v in nums if d is not None]
            if not nums:
                return NULL
            if fn == 'pct':
                ds = sorted(d for d, _ in nums)
                p = args[1].v[1]
                rank = math.ceil(p / 100.0 * len(ds))
                k = 0 if rank < 1 else rank - 1
                k = min(k, len(ds) - 1)
                d = ds[k]
                if d == math.floor(d) and abs(d) < 9e15:
                    return ('I', int(d))
                return ('F', d)
            if fn == 'sum' and all(v[0] == 'I' for _, v in nums):
                return ('I', sum(v[1] for _, v in nums))
            if all(v[0] in ('I', 'B') for _, v in nums):
                total = float(sum(v[1] for _, v in nums))   # exact below 2^53
            else:
                total = math.fsum(d for d, _ in nums)
            return ('F', total if fn == 'sum' else total / len(nums))
        if not vals:
            return NULL
        if fn in ('min', 'max'):
            best = vals[0][0]
            for v, _ in vals[1:]:
                c, ok = qcmp(v, best)
                if ok and (c < 0 if fn == 'min' else c > 0):
                    best = v
            return best
        if fn in ('earliest', 'latest'):
            ts = [(times[i][1], v) for v, i in vals]
            t0 = min(t for t, _ in ts) if fn == 'earliest' else max(t for t, _ in ts)
            cands = {v for t, v in ts if t == t0}
            if len(cands) > 1:
                raise Ambiguous('%s over a time tie' % fn)
            return cands.pop()
        raise ValueError(fn)


class Sort:
    def __init__(self, keys):
        self.keys = keys   # (name, desc, explicit)

    def render(self):
        return 'sort ' + ', '.join(n + (' desc' if d else ' asc' if e else '') for n, d, e in self.keys)

    def run(self, rows, sc):
        cols = [Field(n).compile(sc)(rows) for n, _, _ in self.keys]
        desc = [d for _, d, _ in self.keys]

        def c(i, j):
            for col, d in zip(cols, desc):
                a, b = col[i], col[j]
                if a[0] == 'N' or b[0] == 'N':
                    r = (a[0] == 'N') - (b[0] == 'N')   # missing last, either direction
                else:
                    r = qcmp(a, b)[0]
                    if d:
                        r = -r
                if r:
                    return r
            return 0
        order = sorted(range(len(rows)), key=functools.cmp_to_key(c))
        return [rows[i] for i in order]


class Limit:
    def __init__(self, n):
        self.n = n

    def render(self):
        return 'limit %d' % self.n

    def run(self, rows, sc):
        return rows[:self.n]


class Dedup:
    def __init__(self, names):
        self.names = names

    def render(self):
        return 'dedup ' + ', '.join(self.names)

    def run(self, rows, sc):
        cols = [Field(n).compile(sc)(rows) for n in self.names]
        seen, out = set(), []
        for i, r in enumerate(rows):
            k = tuple(c[i] for c in cols)
            if k not in seen:
                seen.add(k)
                out.append(r)
        return out


_BASE = {}


def base_rows(events):
    """The event rows, made once (no command changes a row in place)."""
    if id(events) not in _BASE:
        _BASE[id(events)] = [Row(e, {}) for e in events]
    return _BASE[id(events)]


DEFAULT_COLS = ['time', 'provider', 'source', 'actor.name', 'action', 'outcome', 'src.ip']


class Query:
    def __init__(self, shape, cmds, mode='multiset', mode_arg=None):
        self.shape, self.cmds, self.mode, self.mode_arg = shape, cmds, mode, mode_arg
        self.since = self.until = None   # --since / --until (µs, inclusive)

    def options(self):
        o = []
        if self.since is not None:
            o += ['--since', iso(self.since)]
        if self.until is not None:
            o += ['--until', iso(self.until)]
        return o

    def text(self):
        return ' | '.join(c.render() for c in self.cmds)

    def columns(self):
        cols = DEFAULT_COLS
        for c in self.cmds:
            if isinstance(c, (Fields, Stats)):
                cols = c.names()
        return cols

    def evaluate(self, events, upto=None):
        """(columns, rows as lists of values) after cmds[:upto]."""
        sc = Scope()
        rows = base_rows(events)
        if self.since is not None or self.until is not None:
            lo = self.since if self.since is not None else -2**63
            hi = self.until if self.until is not None else 2**63
            rows = [r for r in rows if lo <= r.ev['time'][1] <= hi]
        cmds = self.cmds if upto is None else self.cmds[:upto]
        for c in cmds:
            rows = c.run(rows, sc)
        cols = self.columns()
        vals = [Field(n).compile(sc)(rows) for n in cols]
        return cols, [list(v) for v in zip(*vals)] if vals else []


# ---- events ---------------------------------------------------------------------

STR_FIELDS = ['provider', 'source', 'account', 'region', 'actor.type', 'actor.id', 'actor.name',
              'actor.arn', 'actor.email', 'actor.access_key', 'actor.session_issuer', 'src.ip',
              'src.raw', 'user_agent', 'category', 'service', 'action', 'outcome', 'error.code',
              'error.message', 'event_id', 'event_type', 'session_id', 'resources', 'related',
              'src.geo.country', 'src.geo.city']
BOOL_FIELDS = ['read_only', 'actor.mfa']
# low-cardinality fields: group keys and dedup keys
KEY_FIELDS = ['provider', 'source', 'account', 'region', 'actor.type', 'category', 'outcome',
              'event_type', 'error.code', 'src.geo.country', 'service', 'actor.email']


def load_events(path):
    evs = []
    dec = json.JSONDecoder()
    with open(path, encoding='utf-8') as fh:
        for line in fh:
            line = line.rstrip('\n')
            if not line:
                continue
            d = json.loads(line)
            e = {}
            for k, v in d.items():
                if k == 'time':
                    us = time_parse(v)
                    if us is None:
                        raise SystemExit('query_ref: cannot parse time %r' % v)
                    e['time'] = e['@timestamp'] = ('T', us)
                elif k in ('read_only', 'actor.mfa'):
                    e[k] = vbool(v)
                elif k == 'severity':
                    e[k] = ('I', v)
                elif k in ('resources', 'related') and not isinstance(v, str):
                    # printed as the stored JSON text: take those exact characters
                    key = ',"%s":' % k
                    i = line.index(key) + len(key)
                    _, end = dec.raw_decode(line, i)
                    e[k] = ('S', line[i:end])
                elif k in ('time_fallback', 'time_missing'):
                    continue
                elif isinstance(v, str):
                    e[k] = ('S', v)
                else:
                    raise SystemExit('query_ref: unexpected field %s=%r' % (k, v))
            evs.append(e)
    return evs


# ---- the generator ------------------------------------------------------------------

class Gen:
    def __init__(self, events, rnd):
        self.ev = events
        self.r = rnd
        self.vals = {}
        for f in STR_FIELDS:
            vs = sorted({e[f][1] for e in events if f in e})
            self.vals[f] = vs
        self.tmin = min(e['time'][1] for e in events)
        self.tmax = max(e['time'][1] for e in events)
        self.nalias = 0

    def alias(self, base):
        self.nalias += 1
        return '%s%d' % (base, self.nalias)

    def present_field(self):
        while True:
            f = self.r.choice(STR_FIELDS)
            if self.vals[f]:
                return f

    def value(self, f):
        """A value of f from the data (most of the time) or one that occurs nowhere."""
        if self.vals.get(f) and self.r.random() < 0.85:
            return self.r.choice(self.vals[f])
        return self.r.choice(['no-such-value', 'zzz', '', 'A', f.upper() + '-x', '0'])

    def field(self, f):
        return Field(f, ticks=self.r.random() < 0.05)

    def time_lit_node(self):
        v = self.time_lit()
        return SecLit(('T', v[1])) if v[0] == 'E' else Lit(v)

    def time_lit(self):
        t = self.r.randint(self.tmin, self.tmax)
        k = self.r.random()
        if k < 0.6:
            return ('S', iso(t - t % 1000000))
        if k < 0.75:
            return ('S', iso(t)[:10])
        if k < 0.85:
            return ('S', iso(t - t % 1000000, 120))
        # an integer is epoch seconds; a string that is no time is an error
        # (tests/e2e/output.sh), not a comparison to model here
        return ('E', t - t % 1000000)

    def regex_from(self, s):
        """A regex valid in PCRE2 and Python that means the same in both."""
        r = self.r
        k = r.random()
        if k < 0.35 and s:
            a = r.randint(0, max(0, len(s) - 1))
            piece = s[a:a + r.randint(1, 8)]
            src = ''.join(ch if ch.isalnum() and ord(ch) < 128 or ch == '_' or ord(ch) > 127
                          else '\\' + ch for ch in piece)
            if a == 0 and r.random() < 0.5:
                src = '^' + src
            return src
        return r.choice(['^Get', '^(Get|List|Describe)', 'Sign.?In', '\\.amazonaws\\.com$',
                         '[0-9]{3}', '^[a-z]+\\.[a-z]+$', 'admin|root', 'o+', '^.{10}$',
                         'Delete[A-Z][a-z]+', '[.]googleapis[.]', 'x{2,}', '(?:ab|cd)e?',
                         '^arn:aws:iam::[0-9]+:role\\/', 'microsoft\\.(compute|storage)'])

    def wildcard_from(self, s):
        r = self.r
        out = []
        i = 0
        while i < len(s):
            k = r.random()
            if k < 0.12:
                out.append('%')
                i += r.randint(0, 6)
            elif k < 0.2:
                out.append('_')
                i += 1
            else:
                out.append(s[i])
                i += 1
        if '%' not in out:
            out.insert(r.randint(0, len(out)), '%')
        return ''.join(out)

    def atom(self, scope_extra):
        r = self.r
        k = r.random()
        if scope_extra and k < 0.12:
            # a column made by an earlier fields command
            name, kind = r.choice(scope_extra)
            if kind == 'I':
                return Cmp(r.choice(['<', '>', '>=', '=']), Field(name), Lit(('I', r.randint(0, 60))))
            if kind == 'B':
                return Field(name) if r.random() < 0.5 else Not(Field(name))
            if kind == 'T':
                return Cmp(r.choice(['<', '>=']), Field(name), self.time_lit_node())
            return Cmp(r.choice(['=', '!=']), Field(name), Lit(('S', self.value(r.choice(STR_FIELDS)))))
        f = self.present_field()
        if k < 0.30:
            op = r.choice(['=', '=', '!=', '<', '<=', '>', '>='])
            v = self.value(f)
            lit = ('S', v)
            if v.isdigit() and len(v) < 15 and r.random() < 0.5:
                lit = ('I', int(v))
            elif r.random() < 0.04:
                lit = ('I', r.randint(0, 1000))
            elif r.random() < 0.03:
                lit = ('F', r.choice([0.5, 12.25, -3.0]))
            return Cmp(op, self.field(f), Lit(lit))
        if k < 0.37:
            g = self.present_field()
            return Cmp(r.choice(['=', '!=', '<']), self.field(f), self.field(g))
        if k < 0.45:
            lits = [('S', self.value(f)) for _ in range(r.randint(1, 4))]
            if r.random() < 0.2:
                lits.append(('I', r.randint(0, 9)))
            return In(self.field(f), lits, neg=r.random() < 0.3)
        if k < 0.53:
            v = self.value(f)
            a = r.randint(0, len(v))
            sub = v[a:a + r.randint(0, 6)].replace('%', '')
            return Like(self.field(f), sub, 'sub', neg=r.random() < 0.25)
        if k < 0.60:
            return Like(self.field(f), self.wildcard_from(self.value(f)), 'wild', neg=r.random() < 0.25)
        if k < 0.70:
            v = self.value(f)
            src = self.regex_from(v)
            fl = 'i' if r.random() < 0.3 and all(ord(c) < 128 for c in src) else ''
            if r.random() < 0.5:
                return Like(self.field(f), src, 're', fl, match_op=True)
            return Like(self.field(f), src, 're', fl, neg=r.random() < 0.2)
        if k < 0.75:
            x = Call('ispresent', [self.field(f)])
            return Not(x) if r.random() < 0.3 else x
        if k < 0.80:
            ip = self.value('src.ip') if self.vals['src.ip'] else '10.0.0.1'
            try:
                a = ipaddress.ip_address(ip)
            except ValueError:
                a = ipaddress.ip_address('10.1.2.3')
            bits = r.choice([8, 16, 24, 32] if a.version == 4 else [16, 32, 48, 64, 128])
            if r.random() < 0.1:
                cidr = '::ffff:0:0/96'
            else:
                cidr = '%s/%d' % (a, bits)
            src = 'src.ip' if r.random() < 0.85 else r.choice(['src.raw', 'actor.name'])
            x = Call('isIpInSubnet', [Field(src), Lit(('S', cidr))])
            return Not(x) if r.random() < 0.3 else x
        if k < 0.85:
            v = self.value(f)
            return Cmp(r.choice(['=', '!=']), Call('tolower', [self.field(f)]), Lit(('S', v.lower())))
        if k < 0.89:
            v = self.value(f)
            return Cmp(r.choice(['<', '<=', '>', '>=', '=']), Call('strlen', [self.field(f)]),
                       Lit(('I', len(v.encode()) + r.randint(-2, 2))))
        if k < 0.92:
            g = self.present_field()
            return Cmp('=', Call('coalesce', [self.field(f), self.field(g), Lit(('S', 'none'))]),
                       Lit(('S', r.choice([self.value(f), self.value(g), 'none']))))
        if k < 0.97:
            op = r.choice(['<', '<=', '>', '>=', '=', '!='])
            return Cmp(op, Field(r.choice(['time', 'time', '@timestamp'])), self.time_lit_node())
        b = r.choice(BOOL_FIELDS)
        k2 = r.random()
        if k2 < 0.4:
            return Field(b)
        if k2 < 0.8:
            return Cmp(r.choice(['=', '!=']), Field(b), Lit(vbool(r.random() < 0.5)))
        return Cmp(r.choice(['=', '!=', '<', '>']), Field(b), Lit(('S', r.choice(['true', 'false', 'yes']))))

    def cond(self, depth=0, extra=None):
        r = self.r
        k = r.random()
        if depth >= 3 or k < 0.45:
            return self.atom(extra)
        if k < 0.70:
            return And([self.cond(depth + 1, extra) for _ in range(r.randint(2, 3))])
        if k < 0.92:
            return Or([self.cond(depth + 1, extra) for _ in range(r.randint(2, 3))])
        return Not(self.cond(depth + 1, extra))

    def fields_cmd(self):
        """A fields command; returns it and the (name, kind) of the columns it makes."""
        r = self.r
        items, made, used = [], [], set()
        for _ in range(r.randint(1, 4)):
            k = r.random()
            if k < 0.3:
                f = r.choice(STR_FIELDS + ['time'] + BOOL_FIELDS)
                if f in used:
                    continue
                alias = None
                if r.random() < 0.3:
                    alias = self.alias('f')
                name = alias or f
                items.append((self.field(f), alias, name))
                made.append((name, 'T' if f == 'time' else 'B' if f in BOOL_FIELDS else 'S'))
            elif k < 0.45:
                a = self.alias('low')
                items.append((Call('tolower', [Field(self.present_field())]), a, a))
                made.append((a, 'S'))
            elif k < 0.6:
                a = self.alias('len')
                items.append((Call('strlen', [Field(self.present_field())]), a, a))
                made.append((a, 'I'))
            elif k < 0.72:
                a = self.alias('who')
                items.append((Call('coalesce', [Field('actor.email'), Field('actor.arn'), Field('actor.name')]), a, a))
                made.append((a, 'S'))
            elif k < 0.82:
                a = self.alias('hour')
                items.append((Call('bin', [r.choice([Dur('1h', 3600000000), Dur('30m', 1800000000),
                                                    Dur('1d', 86400000000)])]), a, a))
                made.append((a, 'T'))
            elif k < 0.92:
                a = self.alias('flag')
                items.append((self.atom(None), a, a))
                made.append((a, 'B'))
            else:
                # an alias that shadows a normalized field
                a = 'action' if 'action' not in used else 'outcome'
                items.append((Call('tolower', [Field('service')]), a, a))
                made.append((a, 'S'))
            used.add(items[-1][2])
        if not items:
            items.append((Field('action'), None, 'action'))
            made.append(('action', 'S'))
        return Fields(items), made

    # -- whole queries -------------------------------------------------------------
    def prefix(self):
        """Leading row-wise commands; returns (cmds, columns made)."""
        r = self.r
        cmds, made = [], []
        for _ in range(r.choice([0, 1, 1, 1, 2])):
            cmds.append(Filter(self.cond()))
        if r.random() < 0.12:
            # a sort in the middle: later commands read base fields the sort kept
            keys = r.sample(STR_FIELDS + ['time'], r.randint(1, 2))
            cmds.append(Sort([(n, r.random() < 0.5, False) for n in keys]))
        if r.random() < 0.08:
            if r.random() < 0.5:
                p = Parse(Field('user_agent'), '*/*', ['ua_tool', 'ua_rest'], False)
            elif r.random() < 0.5:
                p = Parse(Field('actor.email'), '*@*.*', ['ua_user', 'ua_dom', 'ua_tld'], False)
            else:
                p = Parse(Field('user_agent'), '^(?P<ua_tool>[A-Za-z0-9-]+)/(?P<ua_rest>[0-9.]+)',
                          ['ua_tool', 'ua_rest'], True)
                p.pat = p.pat.replace('/', '\\/')
            cmds.append(p)
            made += [(n, 'S') for n in p.names]
        if r.random() < 0.06:
            names = r.sample(STR_FIELDS + ['time'], r.randint(1, 3))
            cmds.append(Fields([(Field(n), None, n) for n in names], display=True))
            made += [(n, 'T' if n == 'time' else 'S') for n in names]
        elif r.random() < 0.35:
            fc, m = self.fields_cmd()
            cmds.append(fc)
            made += m
            if r.random() < 0.5:
                cmds.append(Filter(self.cond(extra=made)))
        return cmds, made

    def query(self):
        q = self.query1()
        if self.r.random() < 0.1:
            # time bounds: whole seconds, sometimes exactly an event's time
            t = [self.r.randint(self.tmin, self.tmax) for _ in range(2)]
            if self.r.random() < 0.5:
                t[0] = self.r.choice(self.ev)['time'][1]
            t = sorted(x - x % 1000000 for x in t)
            k = self.r.random()
            q.since = t[0] if k < 0.7 else None
            q.until = t[1] if k > 0.3 else None
        return q

    def query1(self):
        r = self.r
        self.nalias = 0
        cmds, made = self.prefix()
        cols = DEFAULT_COLS
        for c in cmds:
            if isinstance(c, Fields):
                cols = c.names()
        k = r.random()
        if k < 0.04:
            cmds.append(Limit(r.choice([1, 7, 300, 100000])))
            cmds.append(Stats([('count', [], 'n', 'n')], []))
            return Query('limit', cmds)
        if k < 0.22:
            if not cmds:
                cmds.append(Filter(self.cond()))
            return Query('filter', cmds)
        if k < 0.42:
            return self.stats_query(cmds, made)
        if k < 0.55:
            return self.fast_stats_query()
        if k < 0.72:
            keys = r.sample(cols, min(len(cols), r.randint(1, 2)))
            keys = [(n, r.random() < 0.5, r.random() < 0.3) for n in keys]
            cmds.append(Sort(keys))
            if r.random() < 0.75:
                cmds.append(Limit(r.choice([1, 3, 10, 50, 200])))
            return Query('sort', cmds, 'sorted', [n for n, _, _ in keys])
        if k < 0.80:
            cmds.append(Limit(r.choice([1, 5, 20, 100, 5000])))
            return Query('limit', cmds, 'subset')
        # dedup
        base_keys = [c for c in cols if c in KEY_FIELDS or c in ('actor.name', 'action')] or cols
        keys = r.sample(base_keys, min(len(base_keys), r.randint(1, 2)))
        cmds.append(Dedup(keys))
        k2 = r.random()
        if k2 < 0.35:
            return Query('dedup', cmds, 'dedup', keys)
        if k2 < 0.7:
            cmds.append(Fields([(Field(n), None, n) for n in keys], display=True))
            if r.random() < 0.4:
                cmds.append(Sort([(keys[0], r.random() < 0.5, False)]))
                cmds.append(Limit(r.choice([2, 10])))
                return Query('dedup', cmds, 'sorted', [keys[0]])
            return Query('dedup', cmds)
        by = r.sample(keys, r.randint(0, len(keys)))
        cmds.append(Stats([('count', [], 'n', 'n')], [(Field(n), None, n) for n in by]))
        return Query('dedup', cmds)

    def dict_atom(self):
        """A condition on one dictionary-coded field (what the executor can
        decide per dictionary value and prune segments with)."""
        r = self.r
        f = r.choice([x for x in STR_FIELDS if x != 'event_id' and self.vals[x]])
        k = r.random()
        if k < 0.35:
            x = Cmp(r.choice(['=', '=', '!=']), Field(f), Lit(('S', self.value(f))))
        elif k < 0.55:
            x = In(Field(f), [('S', self.value(f)) for _ in range(r.randint(1, 3))])
        elif k < 0.7:
            v = self.value(f)
            a = r.randint(0, len(v))
            x = Like(Field(f), v[a:a + r.randint(1, 5)].replace('%', ''), 'sub')
        elif k < 0.8:
            x = Like(Field(f), self.regex_from(self.value(f)), 're', match_op=True)
        elif k < 0.9:
            x = Call('ispresent', [Field(f)])
        else:
            x = Cmp('=', Call('tolower', [Field(f)]), Lit(('S', self.value(f).lower())))
        return Not(x) if r.random() < 0.2 else x

    def fast_stats_query(self):
        """Leading filters on dictionary fields only, then stats of count(),
        count(f) and count_distinct(f) by dictionary fields or bin(): the
        shape the executor runs on code columns, on several threads."""
        r = self.r
        cmds = []
        for _ in range(r.choice([0, 1, 1, 2])):
            atoms = [self.dict_atom() for _ in range(r.randint(1, 2))]
            cmds.append(Filter(atoms[0] if len(atoms) == 1 else And(atoms)))
        aggs, names = [], set()
        for i in range(r.randint(1, 3)):
            f = r.choice(KEY_FIELDS + ['actor.name', 'action', 'src.ip', 'user_agent'])
            fn, a = r.choice([('count', []), ('count', [Field(f)]), ('count_distinct', [Field(f)])])
            aggs.append((fn, a, 'c%d' % i, 'c%d' % i))
        by = []
        for f in r.sample(KEY_FIELDS + ['bin'], r.choice([0, 1, 1, 2])):
            if f == 'bin':
                d = r.choice([Dur('1h', 3600000000), Dur('1d', 86400000000)])
                by.append((Call('bin', [d]), None, 'bin(%s)' % d.text))
            else:
                by.append((Field(f), None, f))
        cmds.append(Stats(aggs, by))
        if r.random() < 0.3:
            keys = [('c0', True, False)] + [(n, False, False) for _, _, n in by if not n.startswith('bin')]
            cmds.append(Sort(keys))
            cmds.append(Limit(r.choice([3, 10])))
            return Query('stats_fast', cmds, 'sorted', [n for n, _, _ in keys])
        return Query('stats_fast', cmds)

    def stats_query(self, cmds, made):
        r = self.r
        aggs, names = [], set()
        strish = [f for f in STR_FIELDS if self.vals[f]]
        for _ in range(r.randint(1, 3)):
            k = r.random()
            f = r.choice(strish)
            if k < 0.2:
                a = [] if r.random() < 0.8 else [Field(f)]
                fn = 'count'
                if not a and r.random() < 0.3 and 'count()' not in names:
                    aggs.append(('count', [Star()], None, 'count()'))
                    names.add('count()')
                    continue
            elif k < 0.35:
                fn, a = 'count_distinct', [Field(f)]
            elif k < 0.5:
                fn = r.choice(['min', 'max'])
                a = [r.choice([Field(f), Field('time'), Call('strlen', [Field(f)])])]
            elif k < 0.65:
                fn, a = r.choice(['sum', 'avg']), [r.choice([Call('strlen', [Field(f)]), Field('read_only')])]
            elif k < 0.8:
                fn, a = r.choice(['earliest', 'latest']), [Field(r.choice(KEY_FIELDS + ['time']))]
            else:
                fn, a = 'pct', [Call('strlen', [Field(f)]), Lit(('I', r.choice([0, 1, 25, 50, 90, 99, 100])))]
                if r.random() < 0.2:
                    a[1] = Lit(('F', 37.5))
            alias = self.alias('a')
            aggs.append((fn, a, alias, alias))
            names.add(alias)
        by = []
        keys = KEY_FIELDS + [n for n, t in made if t in ('S', 'T', 'B')]
        for _ in range(r.choice([0, 1, 1, 2])):
            k = r.random()
            if k < 0.25:
                d = r.choice([Dur('1h', 3600000000), Dur('1d', 86400000000), Dur('60m', 3600000000)])
                alias = self.alias('t') if r.random() < 0.5 else None
                name = alias or 'bin(%s)' % ('1d' if d.us == 86400000000 else '1h')
                x = Call('bin', [d])
            elif k < 0.35:
                alias = self.alias('k')
                name = alias
                x = Call('tolower', [Field(r.choice(KEY_FIELDS))])
            else:
                f = r.choice(keys)
                alias = self.alias('k') if r.random() < 0.2 else None
                name = alias or f
                x = Field(f)
            if name in names:
                continue
            names.add(name)
            by.append((x, alias, name))
        st = Stats(aggs, by)
        cmds.append(st)
        refs = [n for n in st.names() if re.match(r'^[a-z][a-z0-9_.]*$', n)]
        cnt = [a for fn, _, a, _ in aggs if a and fn in ('count', 'count_distinct')]
        if r.random() < 0.15 and cnt:
            # a second stats over the first one's columns
            keys = [n for _, _, n in by if n in refs]
            st = Stats([('sum', [Field(cnt[0])], 'total', 'total'), ('count', [], 'groups', 'groups'),
                        ('max', [Field(cnt[-1])], 'biggest', 'biggest')],
                       [(Field(n), None, n) for n in r.sample(keys, min(len(keys), r.randint(0, 1)))])
            cmds.append(st)
            refs = st.names()
        if r.random() < 0.15 and refs:
            # fields after stats: its columns, expressions over them, and a
            # name that is no longer a column (always missing)
            items = [(Field(n), None, n) for n in r.sample(refs, r.randint(1, len(refs)))]
            items.append((Call('strlen', [Field(r.choice(refs))]), 'l_post', 'l_post'))
            if r.random() < 0.3:
                items.append((Field('user_agent'), None, 'user_agent'))
            cmds.append(Fields(items))
            refs = [n for _, _, n in items]
        if r.random() < 0.3:
            n = r.choice([a for _, _, a, _ in aggs if a and a in refs] or refs or ['n'])
            cmds.append(Filter(Cmp(r.choice(['>', '>=', '<', '!=']), Field(n), Lit(('I', r.randint(0, 30))))))
        if r.random() < 0.5 and refs:
            keys = r.sample(refs, min(len(refs), r.randint(1, 2)))
            keys = [(n, r.random() < 0.6, r.random() < 0.3) for n in keys]
            cmds.append(Sort(keys))
            if r.random() < 0.7:
                cmds.append(Limit(r.choice([1, 5, 20])))
            return Query('stats', cmds, 'sorted', [n for n, _, _ in keys])
        return Query('stats', cmds)


# ---- running and comparing ---------------------------------------------------------------

def canon(row):
    return json.dumps(row, ensure_ascii=False, sort_keys=False)


def run_kumo(args, q):
    p = subprocess.run([args.kumo, '--store', args.store, 'query', '--format', 'jsonl',
                        '--max-rows', '1000000'] + q.options() + [q.text()],
                       capture_output=True, timeout=60)
    rows = []
    cols = None
    err = p.stderr.decode('utf-8', 'replace')
    if p.returncode != 0:
        return None, None, 'exit %d: %s' % (p.returncode, err.strip()[:2000])
    for line in p.stdout.decode('utf-8').splitlines():
        pairs = json.loads(line, object_pairs_hook=lambda x: x)
        c = [k for k, _ in pairs]
        if cols is None:
            cols = c
        elif c != cols:
            return None, None, 'rows with different columns: %r vs %r' % (cols, c)
        rows.append([v for _, v in pairs])
    return cols, rows, None


def multiset(rows):
    d = {}
    for r in rows:
        k = canon(r)
        d[k] = d.get(k, 0) + 1
    return d


def ms_diff(got, want):
    """Rows only in got, rows only in want (with multiplicity), each sorted."""
    g, w = multiset(got), multiset(want)
    only_g = sorted(k for k in g for _ in range(max(0, g[k] - w.get(k, 0))))
    only_w = sorted(k for k in w for _ in range(max(0, w[k] - g.get(k, 0))))
    return only_g, only_w


def describe(only_g, only_w):
    out = []
    for tag, lst in (('only in kumo', only_g), ('only in reference', only_w)):
        if lst:
            out.append('  %s (%d rows), first: ' % (tag, len(lst)) + ', '.join(lst[:3]))
    return '\n'.join(out)


def compare(q, ans, pre, cols_k, rows_k):
    """None when kumo's answer is right, else a description. ans is the
    reference answer (cols, rows); pre the answer without the last command
    (for limit, dedup and sort ... | limit)."""
    cols, ref = pre if q.mode == 'subset' else ans
    js = lambda rows: [[to_json(v) for v in row] for row in rows]  # noqa: E731
    ref = js(ref)
    if rows_k and cols_k != cols:
        return 'columns: kumo %r, reference %r' % (cols_k, cols)
    if q.mode == 'multiset':
        og, ow = ms_diff(rows_k, ref)
        if og or ow:
            return 'rows differ (kumo %d, reference %d)\n%s' % (len(rows_k), len(ref), describe(og, ow))
        return None
    if q.mode == 'subset':
        n = q.cmds[-1].n
        if len(rows_k) != min(n, len(ref)):
            return 'limit %d: kumo %d rows, reference has %d' % (n, len(rows_k), len(ref))
        og, _ = ms_diff(rows_k, ref)
        if og:
            return 'limit: rows that the full answer does not have\n%s' % describe(og, [])
        return None
    if q.mode == 'dedup':
        pre_rows = js(pre[1])
        idx = [cols.index(n) for n in q.mode_arg]
        kk = [canon([r[i] for i in idx]) for r in rows_k]
        kr = sorted({canon([r[i] for i in idx]) for r in ref})
        if len(set(kk)) != len(kk):
            return 'dedup: kumo repeats a key'
        if sorted(kk) != kr:
            a, b = set(kk), set(kr)
            return 'dedup keys differ (kumo %d, reference %d): only kumo %s; only reference %s' % (
                len(kk), len(kr), sorted(a - b)[:3], sorted(b - a)[:3])
        pset = set(canon(r) for r in pre_rows)
        bad = [canon(r) for r in rows_k if canon(r) not in pset]
        if bad:
            return 'dedup: rows that no event gives: %s' % bad[:3]
        return None
    # sorted
    idx = [cols.index(n) for n in q.mode_arg]
    lim = q.cmds[-1].n if isinstance(q.cmds[-1], Limit) else None
    full = js(pre[1]) if lim is not None else ref
    want = full[:lim] if lim is not None else full
    key = lambda r: canon([r[i] for i in idx])  # noqa: E731
    ks, kw = [key(r) for r in rows_k], [key(r) for r in want]
    if ks != kw:
        for i, (a, b) in enumerate(zip(ks, kw)):
            if a != b:
                break
        else:
            i = min(len(ks), len(kw))
        return 'sort keys differ at row %d (kumo %d rows, reference %d): kumo %s, reference %s' % (
            i, len(ks), len(kw), ks[i:i + 3], kw[i:i + 3])
    if lim is not None and len(full) > lim and want and key(full[lim]) == key(want[-1]):
        last = key(want[-1])
        og, ow = ms_diff([r for r in rows_k if key(r) != last], [r for r in want if key(r) != last])
        if og or ow:
            return 'rows differ before the tie\n' + describe(og, ow)
        og, _ = ms_diff([r for r in rows_k if key(r) == last], [r for r in full if key(r) == last])
        if og:
            return 'tied rows that the full answer does not have\n' + describe(og, [])
        return None
    og, ow = ms_diff(rows_k, want)
    if og or ow:
        return 'rows differ (kumo %d, reference %d)\n%s' % (len(rows_k), len(want), describe(og, ow))
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--events', required=True)
    ap.add_argument('--kumo', required=True)
    ap.add_argument('--store', required=True)
    ap.add_argument('--seed', type=int, required=True)
    ap.add_argument('--count', type=int, default=300)
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('--keep', help='write every query and its outcome here')
    ap.add_argument('--budget', type=float, default=150.0,
                    help='stop generating queries after this many seconds')
    args = ap.parse_args()
    events = load_events(args.events)
    if not events:
        print('FAIL - query_diff: no reference events')
        return 1
    rnd = random.Random(args.seed)
    random.seed(args.seed)   # rendering choices (parentheses, brackets)
    gen = Gen(events, rnd)
    shapes = {}
    failures = []
    skipped = 0
    nonempty = 0
    keep = open(args.keep, 'w', encoding='utf-8') if args.keep else None
    t0 = _time.time()
    done = 0
    while done < args.count:
        if _time.time() - t0 > args.budget:
            print('# query_diff: time budget of %.0f s spent after %d queries' % (args.budget, done))
            break
        q = gen.query()
        try:
            ans = q.evaluate(events)
            pre = None
            if q.mode in ('subset', 'dedup') or isinstance(q.cmds[-1], Limit):
                pre = q.evaluate(events, upto=len(q.cmds) - 1)
        except Ambiguous:
            skipped += 1
            continue
        done += 1
        text = ' '.join(shlex.quote(x) for x in q.options() + [q.text()])
        cols_k, rows_k, err = run_kumo(args, q)
        if err is None:
            err = compare(q, ans, pre, cols_k, rows_k)
        st = shapes.setdefault(q.shape, [0, 0])
        st[0] += 1
        if rows_k:
            nonempty += 1
        if err:
            st[1] += 1
            failures.append((q.shape, text, err))
        if keep:
            keep.write('%s\t%d\t%s\t%s\n' % ('FAIL' if err else 'ok', len(rows_k or []), text,
                                             (err or '').replace('\n', ' | ')))
        if args.verbose:
            print('%s %s' % ('FAIL' if err else 'ok', text))
    dt = _time.time() - t0
    print('# query_diff: seed %d, %d queries (%d with rows), %d ambiguous replaced, %.1f s' % (
        args.seed, done, nonempty, skipped, dt))
    for i, (shape, text, err) in enumerate(failures[:5]):
        print('# mismatch %d (seed %d, shape %s):\n#   kumo query --format jsonl %s\n#   %s' % (
            i + 1, args.seed, shape, text, err.replace('\n', '\n#   ')))
    for shape in sorted(shapes):
        n, nf = shapes[shape]
        if nf:
            print('FAIL - query_diff_%s: %d of %d queries differ (seed %d)' % (shape, nf, n, args.seed))
        else:
            print('ok - query_diff_%s (%d queries, seed %d)' % (shape, n, args.seed))
    if nonempty < done // 2:
        print('FAIL - query_diff_coverage: only %d of %d queries returned rows' % (nonempty, done))
        return 1
    print('ok - query_diff_coverage (%d of %d queries returned rows)' % (nonempty, done))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
