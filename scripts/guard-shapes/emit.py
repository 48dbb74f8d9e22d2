import re, sys, os
import parse

APIS = ['produce', 'fetch', 'list_offsets', 'metadata', 'api_versions', 'create_topics',
        'delete_topics', 'describe_configs', 'create_partitions', 'incremental_alter_configs',
        'describe_cluster', 'broker_registration', 'broker_heartbeat', 'describe_quorum',
        'elect_leaders', 'alter_partition_reassignments', 'list_partition_reassignments',
        'describe_topic_partitions', 'describe_log_dirs', 'alter_partition',
        'offset_for_leader_epoch']

SCALARS = {
    'types::Int8': 'INT8', 'types::Boolean': 'BOOL', 'types::Int16': 'INT16',
    'types::UInt16': 'UINT16', 'types::Int32': 'INT32', 'types::Int64': 'INT64',
    'types::Uuid': 'UUID', 'types::Float64': 'FLOAT64',
}
FIXED_BYTES = {'INT8': 1, 'BOOL': 1, 'INT16': 2, 'UINT16': 2, 'INT32': 4, 'INT64': 8, 'UUID': 16,
               'FLOAT64': 8}

def snake_upper(name):
    return re.sub(r'(?<!^)(?=[A-Z])', '_', name).upper()

def snake(name):
    return snake_upper(name).lower()

def element_type(rust_type):
    t = rust_type
    for wrap in ['Option<', 'Vec<']:
        if t.startswith(wrap):
            t = t[len(wrap):-1]
    return t.replace('super::', '')

def logical(kind, rust_type, v, flex, where):
    """(shape expression key, struct name or None), checking compact-ness against flexibility."""
    compact = 'Compact' in kind
    flexible = flex is not None and v >= flex
    if kind not in SCALARS and kind not in ('types::Struct { version }',
                                            'types::OptionStruct { version }'):
        if compact != flexible:
            raise Exception(f'{where} v{v}: {kind} but flexible={flexible}')
    k = kind.replace('Compact', '')
    if k in SCALARS:
        return (SCALARS[k], None)
    if k == 'types::String':
        return ('STRING', None)
    if k == 'types::Bytes':
        return ('BYTES', None)
    if k == 'types::Array(types::Int32)':
        return ('INT32_ARRAY', None)
    if k == 'types::Array(types::String)':
        return ('STRING_ARRAY', None)
    if k == 'types::Array(types::Uuid)':
        return ('UUID_ARRAY', None)
    if k == 'types::Array(types::Struct { version })':
        return ('ARRAY', element_type(rust_type))
    if k == 'types::Struct { version }':
        return ('STRUCT', element_type(rust_type))
    if k == 'types::OptionStruct { version }':
        return ('OPTION_STRUCT', element_type(rust_type))
    raise Exception(f'{where}: unknown kind {kind}')

def presence(vmin, vmax, per_version, where):
    present = [v for v in range(vmin, vmax + 1) if per_version[v] is not None]
    if not present:
        return None
    a, b = present[0], present[-1]
    assert present == list(range(a, b + 1)), where
    shapes = {per_version[v] for v in present}
    assert len(shapes) == 1, (where, shapes)
    return a, b, shapes.pop()

def analyse(api, direction):
    structs = parse.parse_file(f'{parse.ROOT}/{api}_{direction}.rs')
    top = ''.join(w.capitalize() for w in api.split('_')) + direction.capitalize()
    assert top in structs, top
    out = {}
    for name, s in structs.items():
        vmin, vmax, flex = s['vmin'], s['vmax'], s['flex']
        fields = []
        for fname, expr in s['fields']:
            where = f'{api}_{direction}.{name}.{fname}'
            per_v = {}
            for v in range(vmin, vmax + 1):
                kind = parse.eval_expr(expr, v)
                assert kind != 'BAIL', where
                per_v[v] = None if kind is None else logical(kind, s['types'][fname], v, flex, where)
            p = presence(vmin, vmax, per_v, where)
            fields.append((fname, p))
        tags = []
        for tag, fname, kind, vcond in s['tags']:
            where = f'{api}_{direction}.{name}.tag{tag}'
            valid = [v for v in range(max(vmin, flex), vmax + 1) if vcond is None or parse.cond_holds(vcond, v)]
            shapes = {logical(kind, s['types'][fname], v, flex, where) for v in valid}
            assert len(shapes) == 1 and valid == list(range(valid[0], valid[-1] + 1)), where
            tags.append((tag, fname, valid[0], valid[-1], shapes.pop()))
        out[name] = dict(vmin=vmin, vmax=vmax, flex=flex, fields=fields, tags=tags,
                         types=s['types'])
    return top, out

TITLES = {
    'produce': ('Produce', 0), 'fetch': ('Fetch', 1), 'list_offsets': ('ListOffsets', 2),
    'metadata': ('Metadata', 3), 'api_versions': ('ApiVersions', 18),
    'create_topics': ('CreateTopics', 19), 'delete_topics': ('DeleteTopics', 20),
    'describe_configs': ('DescribeConfigs', 32), 'create_partitions': ('CreatePartitions', 37),
    'incremental_alter_configs': ('IncrementalAlterConfigs', 44),
    'describe_cluster': ('DescribeCluster', 60),
    'broker_registration': ('BrokerRegistration', 62), 'broker_heartbeat': ('BrokerHeartbeat', 63),
    'describe_quorum': ('DescribeQuorum', 55), 'elect_leaders': ('ElectLeaders', 43),
    'alter_partition_reassignments': ('AlterPartitionReassignments', 45),
    'list_partition_reassignments': ('ListPartitionReassignments', 46),
    'describe_topic_partitions': ('DescribeTopicPartitions', 75),
    'describe_log_dirs': ('DescribeLogDirs', 35),
    'alter_partition': ('AlterPartition', 56), 'offset_for_leader_epoch': ('OffsetForLeaderEpoch', 23),
}

def shape_expr(key, struct, names):
    if key == 'ARRAY':
        return f'Shape::Array(&{names[struct]})'
    if key == 'STRUCT':
        return f'Shape::Struct(&{names[struct]})'
    if key == 'OPTION_STRUCT':
        return f'Shape::OptionStruct(&{names[struct]})'
    return key

def gated(a, b, s, expr):
    if a == s['vmin'] and b == s['vmax']:
        return expr
    lo = a if a > s['vmin'] else 0
    hi = b if b < s['vmax'] else 'LATEST'
    if not expr.startswith('Shape::'):
        return f'Shape::Versions({lo}, {hi}, &{expr})'
    return f'Shape::Versions({lo}, {hi}, &{expr})'

def reachable(top, out):
    """Structs in the order met from the top (depth first)."""
    order = []
    def visit(n):
        if n in order: return
        order.append(n)
        s = out[n]
        for _, p in s['fields']:
            if p and p[2][1]: visit(p[2][1])
        for t in s['tags']:
            if t[4][1]: visit(t[4][1])
    visit(top)
    return order

def struct_body(s, names, indent):
    pad = ' ' * indent
    lines = [f'{pad}fields: &[']
    for fname, p in s['fields']:
        if p is None:
            continue
        a, b, (key, struct) = p
        lines.append(f'{pad}    {gated(a, b, s, shape_expr(key, struct, names))}, // {fname}')
    lines.append(f'{pad}],')
    if not s['tags']:
        lines.append(f'{pad}tagged: &[],')
    else:
        lines.append(f'{pad}tagged: &[')
        for tag, fname, a, b, (key, struct) in s['tags']:
            expr = shape_expr(key, struct, names)
            lo = max(s['vmin'], s['flex'])
            if a != lo or b != s['vmax']:
                expr = f'Shape::Versions({a}, {"LATEST" if b == s["vmax"] else b}, &{expr})'
            lines.append(f'{pad}    ({tag}, {expr}), // {fname}')
        lines.append(f'{pad}],')
    return lines

def emit_shapes(api):
    title, key = TITLES[api]
    parts = {}
    for d in ['request', 'response']:
        top, out = analyse(api, d)
        parts[d] = (top, out, reachable(top, out))
    req_names = set(parts['request'][2][1:]); resp_names = set(parts['response'][2][1:])
    clash = req_names & resp_names
    import textwrap
    doc = (f'{title} (api key {key}): the request and response layouts `kafka-protocol` 0.18 '
           f'decodes, transcribed from its generated decoders (`{api}_request.rs`, '
           f'`{api}_response.rs`): one static per struct, named after it, fields in wire order, '
           'each present in the versions its decoder reads it. `guard/tests/shapes.rs` checks '
           'them against every version `kafka-protocol` encodes.')
    lines = ['//! ' + l for l in textwrap.wrap(doc, 96, break_long_words=False, break_on_hyphens=False)]
    lines += [
        '',
        'use crate::protocol::guard::shape::*;',
        '',
    ]
    for d in ['request', 'response']:
        top, out, order = parts[d]
        names = {top: d.upper()}
        for n in order[1:]:
            names[n] = (d.upper() + '_' if n in clash else '') + snake_upper(n)
        s = out[top]
        flex = 'None' if s['flex'] is None else f'Some({max(s["flex"], s["vmin"])})'
        lines += [f'pub static {d.upper()}: MessageShape = MessageShape {{',
                  f'    version_min: {s["vmin"]},', f'    version_max: {s["vmax"]},',
                  f'    flexible_min: {flex},', '    body: StructShape {']
        lines += struct_body(s, names, 8)
        lines += ['    },', '};', '']
        for n in order[1:]:
            sub = out[n]
            assert (sub['vmin'], sub['vmax'], sub['flex']) == (s['vmin'], s['vmax'], s['flex']), n
            lines += [f'static {names[n]}: StructShape = StructShape {{']
            lines += struct_body(sub, names, 4)
            lines += ['};', '']
    return '\n'.join(lines).rstrip() + '\n'

NEWTYPES = {'BrokerId': '3', 'ProducerId': '4', 'TopicName': 's()', 'TransactionalId': 's()'}

def filler(rust_type, out, used):
    t = rust_type.replace('super::', '')
    def one(inner):
        if inner in NEWTYPES:
            used.add(inner)
            return f'{inner}({NEWTYPES[inner]})'
        simple = {'i8': '1', 'bool': 'true', 'i16': '2', 'i32': '3', 'i64': '4', 'u16': '5',
                  'f64': '1.5', 'Uuid': 'uuid()', 'StrBytes': 's()', 'Bytes': 'b()'}
        if inner in simple:
            return simple[inner]
        assert inner in out, inner
        return f'{snake(inner)}(v)'
    if t.startswith('Option<'):
        return f'Some({filler(t[7:-1], out, used)})'
    if t.startswith('Vec<'):
        e = t[4:-1]
        if e == 'i32':
            return 'vec![1, 2]'
        return f'vec![{one(e)}, {one(e)}]'
    return one(t)

def condition(a, b, lo, hi):
    if a <= lo and b >= hi:
        return None
    if a <= lo:
        return f'v <= {b}'
    if b >= hi:
        return f'v >= {a}'
    return f'({a}..={b}).contains(&v)'

def emit_builders(api):
    title, _ = TITLES[api]
    lines = [
        f'//! {title} request and response with every field the version has filled in: two',
        '//! elements in every array, every nullable field set, every known tagged field and one',
        '//! unknown tag in every flexible struct.',
        '',
    ]
    for d in ['request', 'response']:
        top, out = analyse(api, d)
        order = reachable(top, out)
        used = set()
        body = []
        for n in order:
            s = out[n]
            lo, hi = s['vmin'], s['vmax']
            body.append('')
            fname = 'message' if n == top else snake(n)
            body.append(f'pub fn {fname}(v: i16) -> {n} {{')
            body.append(f'    let mut m = {n}::default();')
            items = [(f, p[0], p[1]) for f, p in s['fields'] if p]
            items += [(f, a, b) for _, f, a, b, _ in s['tags']]
            if s['flex'] is not None:
                items.append(('unknown_tagged_fields', max(lo, s['flex']), hi))
            for f, a, b in items:
                value = 'tags()' if f == 'unknown_tagged_fields' else filler(s['types'][f], out, used)
                c = condition(a, b, lo, hi)
                if c is None:
                    body.append(f'    m.{f} = {value};')
                else:
                    body.append(f'    if {c} {{')
                    body.append(f'        m.{f} = {value};')
                    body.append('    }')
            body.append('    m')
            body.append('}')
            # A struct with no version-dependent field never reads `v`.
            start = max(i for i, l in enumerate(body) if l.startswith(f'pub fn {fname}('))
            if not any(re.search(r'\bv\b', l) for l in body[start + 1:]):
                body[start] = body[start].replace('(v: i16)', '(_v: i16)')
        imports = ', '.join(sorted(used))
        lines.append(f'pub mod {d} {{')
        lines.append(f'    use kafka_protocol::messages::{api}_{d}::*;')
        if used:
            lines.append(f'    use kafka_protocol::messages::{{{imports}}};' if len(used) > 1 else f'    use kafka_protocol::messages::{imports};')
        lines.append('')
        lines.append('    use crate::protocol::guard::tests::fill::*;')
        lines += ['    ' + l if l else '' for l in body]
        lines.append('}')
        lines.append('')
    return '\n'.join(lines).rstrip() + '\n'

def emit_all(shapes_dir, builders_dir):
    for api in APIS:
        open(f'{shapes_dir}/{api}.rs', 'w').write(emit_shapes(api))
        open(f'{builders_dir}/{api}.rs', 'w').write(emit_builders(api))


if __name__ == '__main__':
    # Run from the repository root: rewrites the generated shape tables and test builders.
    emit_all('src/protocol/guard/messages', 'src/protocol/guard/tests/filled')
