# common.sh - the helpers the comparison scripts share; sourced, never run.
# Each script sets PROG and log (a file for the output of the command being timed) first;
# sync_after=true makes timed() include a trailing sync in the timed span.

die() {
	echo "$PROG: $*" >&2
	exit 1
}

# timed CMD...: runs CMD after a sync and prints its wall time in seconds; shows its output
# and stops the script if it fails, since its time would mean nothing.
timed() {
	sync
	local start end
	start=$(date +%s.%N)
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		die "failed: $*"
	fi
	if [ "${sync_after:-false}" = true ]; then
		sync
	fi
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

# median: the median of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
