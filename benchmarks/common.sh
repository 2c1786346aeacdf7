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

# bench_debs DEBS WORK COUNT: COUNT small packages, bench1 to benchCOUNT, each of 40 files of
# random text (97 bytes to 3.9 kB) under /usr/share/benchN and a README under /usr/share/doc,
# laid out under WORK/pkg and built into DEBS/benchN.deb; a package already built is kept.
bench_debs() {
	local debs=$1 work=$2 count=$3 p f d
	mkdir -p "$debs"
	for p in $(seq 1 "$count"); do
		[ -f "$debs/bench$p.deb" ] && continue
		d=$work/pkg/bench$p
		mkdir -p "$d/DEBIAN" "$d/usr/share/bench$p" "$d/usr/share/doc/bench$p"
		printf 'Package: bench%s\nVersion: 1.0\nArchitecture: all\nMaintainer: bench <bench@localhost>\nDescription: benchmark package %s\n' \
			"$p" "$p" >"$d/DEBIAN/control"
		for f in $(seq 1 40); do head -c $((f * 97)) /dev/urandom | base64 >"$d/usr/share/bench$p/file$f"; done
		echo "package $p" >"$d/usr/share/doc/bench$p/README"
		dpkg-deb --build --root-owner-group "$d" "$debs/bench$p.deb" >/dev/null
	done
}

# start_registry PORT DIR: a plain registry on 127.0.0.1:PORT storing under DIR (the project's
# scripts/start-registry.sh; the script sourcing this sets repo); prints its pid once it answers.
start_registry() {
	local p=$1 dir=$2 pid
	pid=$("$repo/scripts/start-registry.sh" plain "$p" "$dir")
	curl -fs -o /dev/null "http://127.0.0.1:$p/v2/" || die "the registry on port $p does not answer"
	echo "$pid"
}

# stop_registry PID: stops a registry start_registry started.
stop_registry() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
