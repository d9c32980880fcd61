#!/usr/bin/env bash
# The e2e shell tests cannot pass vacuously through the patterns that once made them do so:
#   1. syntax: `bash -n` of every tests/e2e/*.sh;
#   2. a bare check: `check DESCRIPTION true` (or `:`), and a `pass` that is unconditional: a
#      statement of its own outside any if/else/case branch or function (lib.sh's `pass` records a
#      result; only a condition may decide it), e.g. `pass "CRDs Established"` at top level;
#   3. a negated pipeline, `! cmd | grep ...` (in the script or a `bash -c` string): under pipefail it is true when cmd itself fails (a
#      psql that cannot connect "proves" a database is gone); compare a count instead;
#   4. a call of a shell function that is not defined: in command position, as the command of the
#      runners `check DESC CMD`, `wait_until N CMD`, `within N CMD`, `fails_with PATTERN CMD`, or
#      as the name in `declare -F NAME` (a guard that silently skips a block). A name counts as a
#      function name when it contains an underscore (tools are named with hyphens: pgx-connect;
#      PostgreSQL's pg_* tools excepted) or is defined as a function in some tests/e2e script; it must then be defined in the
#      script itself or in a file it sources (lib.sh, clients.sh).
# Heredoc bodies, comments and single-quoted text (jsonpath, SQL, python -c) are not scanned.
#   bash tests/repo/e2e_lint_check.sh [FILE...]     (default: tests/e2e/*.sh)
set -euo pipefail
root=${TENANTDB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [[ $# -eq 0 ]]; then set -- "$root"/tests/e2e/*.sh; fi
rc=0
for f in "$@"; do
  bash -n "$f" || { echo "FAIL: bash -n $f"; rc=1; }
done
scan() {  # scan E2E-DIR FILE...
  python3 - "$@" <<'PY'
import os, re, sys

e2e_dir, files = sys.argv[1], sys.argv[2:]
NAME = r'[A-Za-z_][A-Za-z0-9_]*'
DEF = re.compile(r'^[ \t]*(?:function[ \t]+)?(' + NAME + r')[ \t]*\(\)', re.M)
HEREDOC = re.compile(r'(?<!<)<<(-?)[ \t]*([\'"]?)(\w+)\2')


def strip_heredocs(text):
    out, end, dash = [], None, False
    for line in text.split('\n'):
        if end is not None:
            if (line.strip() if dash else line) == end:
                end = None
                out.append(line)
            else:
                out.append(' ' * len(line))  # offsets stay those of the file
            continue
        out.append(line)
        m = HEREDOC.search(line.split('#')[0] if ' #' in line else line)
        if m:
            dash, end = m.group(1) == '-', m.group(3)
    return '\n'.join(out)


def code_only(text, keep_strings=False):
    """Blanks comments, single-quoted text and the literal part of double-quoted text (keeping
    the quote characters and the code of $(...) inside them); joins continuation lines. Every
    character keeps its offset (a joined newline becomes a space)."""
    out, i, n = [], 0, len(text)
    stack = ['code']  # 'code' or 'dq'; '$(' inside "..." pushes 'code' with depth tracking
    parens = [0]
    while i < n:
        c, state = text[i], stack[-1]
        if state == 'code':
            if c == '\\' and i + 1 < n:
                out.append('  ')
                i += 2
                continue
            if c == "'":
                j = text.find("'", i + 1)
                j = n - 1 if j < 0 else j
                out.append(text[i:j + 1] if keep_strings else "'" + re.sub(r'[^\n]', ' ', text[i + 1:j]) + "'")
                i = j + 1
                continue
            if c == '"':
                stack.append('dq'); out.append(c); i += 1
                continue
            if c == '#' and (i == 0 or text[i - 1] in ' \t\n;'):
                j = text.find('\n', i)
                j = n if j < 0 else j
                out.append(' ' * (j - i)); i = j
                continue
            if c == '(':
                parens[-1] += 1
            elif c == ')':
                if parens[-1] == 0 and len(stack) > 1:
                    stack.pop(); parens.pop(); out.append(c); i += 1
                    continue
                parens[-1] -= 1
            out.append(c); i += 1
            continue
        # inside "..."
        if c == '\\' and i + 1 < n:
            out.append(text[i:i + 2] if keep_strings and text[i + 1] != '\n' else '  '); i += 2
            continue
        if c == '"':
            stack.pop(); out.append(c); i += 1
            continue
        if text.startswith('$(', i):
            stack.append('code'); parens.append(0); out.append('$('); i += 2
            continue
        out.append(c if c == '\n' or keep_strings else ' '); i += 1
    return ''.join(out)


def sourced(path, text):
    found = []
    for m in re.finditer(r'(?:^|[;&|\s])(?:source|\.)[ \t]+(.*)$', text, re.M):
        names = re.findall(r'([A-Za-z0-9_.-]+\.sh)\b', m.group(1))
        if not names:
            continue
        base = names[0]
        cand = os.path.join(e2e_dir, base)
        if base.endswith('.sh') and os.path.isfile(cand) and os.path.abspath(cand) != os.path.abspath(path):
            found.append(cand)
    return found


texts = {}
def read(p):
    if p not in texts:
        texts[p] = open(p, encoding='utf-8').read()
    return texts[p]


def scope(path, seen=None):
    seen = set() if seen is None else seen
    if path in seen:
        return set()
    seen.add(path)
    names = set(DEF.findall(strip_heredocs(read(path))))
    for s in sourced(path, read(path)):
        names |= scope(s, seen)
    return names


all_defined = set()
for p in sorted(set(files) | {os.path.join(e2e_dir, f) for f in os.listdir(e2e_dir) if f.endswith('.sh')}):
    all_defined |= set(DEF.findall(strip_heredocs(read(p))))

BUILTINS = set('''alias bg bind break builtin caller cd command compgen complete compopt continue declare
dirs disown echo enable eval exec exit export false fc fg getopts hash help history jobs kill let
local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt source
suspend test times trap true type typeset ulimit umask unalias unset wait if then else elif fi case
esac for while until do done in function select time coproc'''.split())
CMD_POS = re.compile(r'(?:^|[;&|{`!]|(?<![=($])\(|\$\((?!\()|\b(?:then|do|else|elif|if|while|until|time)\b)[ \t]*(' + NAME + r')(?=[ \t;|&)\n]|$)', re.M)
RUNNER = re.compile(r'\b(?:check[ \t]+(?:"[^"\n]*"|\'[^\'\n]*\'|\S+)|(?:wait_until|within)[ \t]+\S+|fails_with[ \t]+(?:"[^"\n]*"|\'[^\'\n]*\'|\S+))[ \t]+(' + NAME + r')\b')
DECLARE_F = re.compile(r'\bdeclare[ \t]+-F[ \t]+(' + NAME + r')\b')
NEG_PIPE = re.compile(r'(?:^|[;&({"\']|\$\(|\b(?:then|do|else|if|while|until)\b)[ \t]*![ \t]+([^;&|\n)]*)\|(?!\|)[ \t]*(\S+)', re.M)
BARE_CHECK = re.compile(r'\bcheck[ \t]+(?:"[^"\n]*"|\'[^\'\n]*\'|\S+)[ \t]+(?:true|:)[ \t]*(?:$|[;&|])', re.M)

problems = []
for path in files:
    raw = read(path)
    text = strip_heredocs(raw)
    code = code_only(text)
    code_and_strings = code_only(text, keep_strings=True)  # bash -c '...' bodies are code too
    rel = os.path.relpath(path, os.path.dirname(os.path.dirname(e2e_dir)))
    def lineno(pos):
        return text.count('\n', 0, pos) + 1
    def report(pos, what):
        problems.append(f'{rel}:{lineno(pos)}: {what}: {raw.split(chr(10))[lineno(pos) - 1].strip()}')

    for m in BARE_CHECK.finditer(code):
        report(m.start(), 'a check whose command is `true`/`:` cannot fail')
    for m in NEG_PIPE.finditer(code_and_strings):
        report(m.start(), f'a negated pipeline (`! {m.group(1).strip()} | {m.group(2)}`) passes when its first command fails')
    # unconditional pass: a `pass` statement whose enclosing blocks (by indentation) are only
    # loops or the top level.
    lines = text.split('\n')
    for idx, line in enumerate(lines):
        m = re.match(r'^([ \t]*)pass\b', line)
        if not m or not path.endswith('_test.sh'):
            continue
        indent, conditional = len(m.group(1)), False
        for up in range(idx - 1, -1, -1):
            prev = lines[up]
            if not prev.strip():
                continue
            pind = len(prev) - len(prev.lstrip())
            if pind >= indent:
                continue
            s = prev.strip()
            if re.match(r'^(if|elif|else|then)\b', s) or re.search(r'\b(then|else)$', s) or \
               re.match(r'^[^()]*\)$', s) or re.search(NAME + r'[ \t]*\(\)[ \t]*\{?$', s) or s.endswith('||') or s.endswith('&&'):
                conditional = True
                break
            indent = pind
            if indent == 0:
                break
        if not conditional:
            problems.append(f'{rel}:{idx + 1}: an unconditional `pass` counts a check that tests nothing: {raw.split(chr(10))[idx].strip()}')

    known = scope(path)
    def is_function_name(name):  # PostgreSQL's client tools are the one family with underscores
        return ('_' in name.strip('_') and name.islower() and not name.startswith('pg_')) or name in all_defined
    seen = set()
    for rx in (CMD_POS, RUNNER, DECLARE_F):
        for m in rx.finditer(code):
            name = m.group(1)
            if name in BUILTINS or name in known or not is_function_name(name):
                continue
            after = code[m.end():m.end() + 1]
            if after == '=' or (name, lineno(m.start())) in seen:
                continue
            seen.add((name, lineno(m.start())))
            report(m.start(1), f'`{name}` is not a function defined in this script or the files it sources')

for p in problems:
    print('FAIL: ' + p)
if problems:
    sys.exit(1)
print(f'{len(files)} e2e scripts: no vacuous check pattern, no undefined function')
PY
}

# The scanner itself must catch each pattern (so this check cannot turn vacuous either).
self=$(mktemp -d)
trap 'rm -rf "$self"' EXIT
mkdir -p "$self/tests/e2e"
cat >"$self/tests/e2e/lib.sh" <<'SH'
pass() { :; }
fail() { :; }
check() { shift; "$@"; }
fails_with() { shift; ! "$@"; }
finish() { :; }
SH
cat >"$self/tests/e2e/bad_test.sh" <<'SH'
source "$(dirname "$0")/lib.sh"
check "applied" true
pass "five CRDs Established"
check "dropped" bash -c "! psql -At -c 'SELECT 1' | grep -q 1"
if declare -F no_such_helper >/dev/null; then check "helper" no_such_helper x; fi
finish
SH
cat >"$self/tests/e2e/good_test.sh" <<'SH'
source "$(dirname "$0")/lib.sh"
if [[ -n ${HOME:-} ]]; then pass "home"; else fail "home"; fi
ok_helper() { [[ $1 == x ]]; }
check "helper" ok_helper x
check "refused" fails_with 'denied' bash -c 'echo denied >&2; false'
finish
SH
want='bad_test.sh:2: a check whose command
bad_test.sh:3: an unconditional `pass`
bad_test.sh:4: a negated pipeline
bad_test.sh:5: `no_such_helper`'
got=$(scan "$self/tests/e2e" "$self/tests/e2e/bad_test.sh" || true)
while IFS= read -r w; do
  grep -qF -- "$w" <<<"$got" || { echo "FAIL: self-test: the scanner missed '$w' in:"; echo "$got"; rc=1; }
done <<<"$want"
scan "$self/tests/e2e" "$self/tests/e2e/good_test.sh" >/dev/null || { echo "FAIL: self-test: a clean script is refused"; rc=1; }

scan "$root/tests/e2e" "$@" || rc=1
exit $rc
