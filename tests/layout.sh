#!/bin/sh
# SPDX-License-Identifier: MIT
# layout.sh - the source tree keeps its architecture: src/common sees only
# itself, src/lib sees common and itself, src/tool sees both; and no two
# modules (a NAME.c with its NAME.h) include each other, directly or
# through others. Prints the offending includes or the cycle.
exec python3 - "${top_srcdir:-.}/src" <<'EOF'
import os
import re
import sys

src = sys.argv[1]
layers = {"common": 0, "lib": 1, "tool": 2}
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

# module name -> layer, and module -> set of modules it includes
where = {}
files = []
for layer in layers:
    for name in sorted(os.listdir(os.path.join(src, layer))):
        if name.endswith((".c", ".h")):
            module = name[:-2]
            if where.setdefault(module, layer) != layer:
                sys.exit(f"layout: {module} is in both src/{where[module]} "
                         f"and src/{layer}")
            files.append((layer, module, os.path.join(src, layer, name)))

edges = {m: set() for m in where}
bad = []
for layer, module, path in files:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for header in include.findall(text):
        target = os.path.basename(header)[:-2]
        if header == "config.h" or target not in where or target == module:
            continue
        if layers[where[target]] > layers[layer]:
            bad.append(f"{os.path.relpath(path, src)}: includes {header} "
                       f"from src/{where[target]}, a layer above")
        edges[module].add(target)

# Tarjan's strongly connected components: any with more than one module
# is a cycle.
index, low, stack, on_stack, cycles = {}, {}, [], set(), []


def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in sorted(edges[v]):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            cycles.append(sorted(comp))


sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        visit(v)

for line in bad:
    print(line)
for comp in cycles:
    print("cycle among:", " ".join(comp))
    for v in comp:
        print(f"  {v} includes", " ".join(sorted(edges[v] & set(comp))))
print(f"layout: {len(files)} files, {len(where)} modules, "
      f"{len(bad)} layer violations, {len(cycles)} cycles")
sys.exit(1 if bad or cycles else 0)
EOF
