"""Parses kafka-protocol 0.18's generated decoders into field layouts per struct."""
import re, glob, os, sys

ROOT = glob.glob(os.path.expanduser('~/.cargo/registry/src/*/kafka-protocol-0.18.0/src/messages'))[0]

def skip_string(text, i):
    # text[i] == '"'
    i += 1
    while text[i] != '"':
        if text[i] == '\\':
            i += 2
        else:
            i += 1
    return i + 1

def match_brace(text, i):
    """text[i] == '{'; returns index just past matching '}'."""
    depth = 0
    while True:
        c = text[i]
        if c == '"':
            i = skip_string(text, i); continue
        if c == '{': depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1

def split_statements(body):
    """Top-level statements of a block body."""
    out = []; i = 0; n = len(body); start = 0; depth = 0
    while i < n:
        c = body[i]
        if c == '"':
            i = skip_string(body, i); continue
        if c in '{([':
            depth += 1
        elif c in '})]':
            depth -= 1
            if depth == 0 and c == '}':
                # an if-block statement ends here unless followed by else or ;
                rest = body[i+1:].lstrip()
                stmt = body[start:i+1].strip()
                if stmt.startswith('if ') and not rest.startswith('else') and not rest.startswith(';'):
                    out.append(stmt); start = i + 1
        elif c == ';' and depth == 0:
            out.append(body[start:i].strip()); start = i + 1
        i += 1
    tail = body[start:].strip()
    if tail: out.append(tail)
    return [s for s in out if s]

def cond_holds(cond, v):
    ok = True
    for part in cond.split('&&'):
        m = re.fullmatch(r'\s*version\s*(>=|<=|==|<|>)\s*(-?\d+)\s*', part)
        assert m, cond
        op, n = m.group(1), int(m.group(2))
        ok = ok and {'>=': v >= n, '<=': v <= n, '==': v == n, '<': v < n, '>': v > n}[op]
    return ok

def parse_if(expr):
    """expr starts with 'if '; returns (cond, then_body, else_expr or None)."""
    j = expr.index('{')
    cond = expr[3:j].strip()
    k = match_brace(expr, j)
    then = expr[j+1:k-1].strip()
    rest = expr[k:].strip()
    els = None
    if rest.startswith('else'):
        rest = rest[4:].strip()
        if rest.startswith('if '):
            els = rest
        else:
            assert rest.startswith('{'), rest
            e = match_brace(rest, 0)
            els = rest[1:e-1].strip()
    return cond, then, els

def eval_expr(expr, v):
    """The decoder call text at version v, or None (default value)."""
    expr = expr.strip()
    if expr.startswith('if '):
        cond, then, els = parse_if(expr)
        if cond_holds(cond, v):
            return eval_expr(then, v)
        return eval_expr(els, v) if els is not None else None
    m = re.fullmatch(r'(types::.*)\.decode\(buf\)\?', expr, re.S)
    if m:
        return re.sub(r'\s+', ' ', m.group(1))
    if 'bail!' in expr:
        return 'BAIL'
    return None

def parse_structs(text):
    structs = {}
    for m in re.finditer(r'pub struct (\w+) \{', text):
        j = text.index('{', m.start())
        k = match_brace(text, j)
        fields = {}
        for fm in re.finditer(r'^\s*pub (\w+): (.+),\s*$', text[j+1:k-1], re.M):
            fields[fm.group(1)] = fm.group(2)
        structs[m.group(1)] = fields
    return structs

def parse_decoders(text):
    decs = {}
    for m in re.finditer(r'impl Decodable for (\w+) \{', text):
        name = m.group(1)
        fn = text.index('-> Result<Self> {', m.start())
        j = text.index('{', fn)
        k = match_brace(text, j)
        decs[name] = split_statements(text[j+1:k-1])
    return decs

def parse_tag_block(stmt):
    """stmt: 'if version >= F { let num_tagged_fields ...; for ... { ... } }'"""
    if stmt.startswith('for '):
        flex, then = 0, stmt
    else:
        cond, then, _ = parse_if(stmt)
        m = re.fullmatch(r'version >= (\d+)', cond)
        assert m, cond
        flex = int(m.group(1))
    tags = []
    mi = then.find('match tag {')
    if mi >= 0:
        j = then.index('{', mi)
        k = match_brace(then, j)
        arms = then[j+1:k-1]
        i = 0
        while True:
            am = re.compile(r'(\d+|_) => \{').search(arms, i)
            if not am: break
            b = arms.index('{', am.start())
            e = match_brace(arms, b)
            body = arms[b+1:e-1].strip()
            i = e
            if am.group(1) == '_': continue
            tag = int(am.group(1))
            vcond = None
            if body.startswith('if '):
                vcond, then_b, els = parse_if(body)
                assert 'bail!' in els, body
                body = then_b
            am2 = re.fullmatch(r'(\w+)\s*=\s*(types::.*)\.decode\(buf\)\?;?', body.strip(), re.S)
            assert am2, body
            tags.append((tag, am2.group(1), re.sub(r'\s+', ' ', am2.group(2)), vcond))
    return flex, tags

def parse_file(path):
    text = open(path).read()
    structs = parse_structs(text)
    decs = parse_decoders(text)
    out = {}
    for name, stmts in decs.items():
        vmin = vmax = None; fields = []; flex = None; tags = []
        for s in stmts:
            if s.startswith('if version < '):
                m = re.match(r'if version < (\d+) \|\| version > (\d+)', s)
                vmin, vmax = int(m.group(1)), int(m.group(2))
            elif s.startswith('if version != '):
                # A message with a single version.
                m = re.match(r'if version != (\d+)', s)
                vmin = vmax = int(m.group(1))
            elif s.startswith('if version >= ') and 'num_tagged_fields' in s:
                flex, tags = parse_tag_block(s)
            elif s.startswith('for _ in 0..num_tagged_fields'):
                flex, tags = parse_tag_block(s)
            elif s.startswith('let num_tagged_fields'):
                continue
            elif s.startswith('let mut '):
                continue
            elif s.startswith('let '):
                m = re.match(r'let (\w+) = (.*)$', s, re.S)
                fields.append((m.group(1), m.group(2)))
            elif s.startswith('Ok(Self'):
                continue
            else:
                raise Exception(f'{name}: {s[:80]}')
        out[name] = dict(vmin=vmin, vmax=vmax, fields=fields, flex=flex, tags=tags,
                         types=structs.get(name, {}))
    return out
