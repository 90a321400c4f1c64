#!/usr/bin/env bash
# Searches the bundled model's LongRoPE factor sets (issue 5) and writes them into its longrope.json:
# the short-window recovery set at the original window (256) and long sets at 4×, 8× and 16× it,
# in budget (progressive) mode sized for a 2-core laptop. Samples: bench/data/quality/search/ (the
# quality benchmark evaluates on bench/data/quality/eval/, which the search never sees).
#
#   bash scripts/search-bundled.sh            all four sets
#   bash scripts/search-bundled.sh long-2k    one of them
#
# The fitness also scores retrieval (--retrieval R: the answers of R passkeys and R "Where is X
# defined?" questions at each stage's length, seeds apart from training's and the evaluation's):
# searched on perplexity alone, the sets lost passkeys to YaRN at 4x and 8x and to plain RoPE at 1x.
#
# Logs, --json documents and resumable states go to .model-build/search/; rerunning a set after a
# crash resumes it from its state file.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${MODEL:-models/longrope-tiny}
OUT=$MODEL/longrope.json
LOGS=${LOGS:-.model-build/search}
RETRIEVAL=${RETRIEVAL:-2}
mkdir -p "$LOGS"
# The users' text first: a stage that takes --samples 1 or 2 fits the TypeScript, then the Markdown.
D=bench/data/quality/search
TEXT=("$D/esbuild-main.d.ts.txt" "$D/cockatiel-readme.md.txt" "$D/python3.11-datetime.py.txt" "$D/constant-value.go.txt")

search() {
	local name=$1
	shift
	local state=$LOGS/$name.state.json
	local resume=(--state "$state")
	[ -f "$state" ] && resume=(--resume "$state")
	echo "== $name: longrope search --name $name $*" >&2
	node -r esbuild-register extension/cli/main.ts search --model "$MODEL" --out "$OUT" --name "$name" \
		--text "${TEXT[@]}" --seed 0 --retrieval "$RETRIEVAL" "${resume[@]}" --update-config --json "$@" \
		>"$LOGS/$name.json" 2> >(tee "$LOGS/$name.log" >&2)
	rm -f "$state"
}

sets=("$@")
pick() { [ ${#sets[@]} -eq 0 ] || [[ " ${sets[*]} " == *" $1 "* ]]; }

# Sized for about 20 minutes on 2 cores: one perplexity of 2048 tokens ≈ 0.6 s, of 4096 ≈ 2 s, and
# each candidate runs the text samples plus 2·RETRIEVAL answers.
pick long-2k && search long-2k --length 2048 --budget --population 16 --rounds 8 --samples 1
pick short && search short --length 256 --population 16 --rounds 6
pick long-1k && search long-1k --length 1024 --budget --population 16 --rounds 10 --samples 2
pick long-4k && search long-4k --length 4096 --budget --population 16 --rounds 4 --samples 1
echo "sets in $OUT: $(node -e "console.log(require(require('path').resolve(process.argv[1])).sets.map((s) => s.name).join(', '))" "$OUT")" >&2
