#!/usr/bin/env bash
# Compares pgark's filter throughput (bench/filter_bench.cpp) with the reference command-line
# tools on the same data files, and prints one table row per data set and operation.
# Run by hand (see bench/README.md); it is not a test and never fails on a slow result.
#
#   bench/filters.sh [BUILD_DIR] [SIZE_MIB]      (defaults: build, 32)
#   FILTER_BENCH=/path/to/filter_bench bench/filters.sh
#
# Reference per operation, and the clock each side is measured with:
#   sha1, aes-256-cbc(-d)  openssl speed -evp ... -bytes 1 MiB  CPU (user) time; data independent
#   lz4-1(-d)              lz4 -b1 FILE                          wall clock, best of its iterations
#   zst-3(-d)              zstd -b3 FILE                         wall clock, best of its iterations
#   gz-6(-d), bz2-9        gzip -6 / gzip -d / bzip2 -9 on FILE  CPU (user+sys) time, best of 3
# pgark's number uses the same clock as the tool it is compared with (filter_bench reports both).
# MB = 1,000,000 bytes of uncompressed data, for decompression too (as lz4 -b and zstd -b count).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$repo/build}"
sizeMiB="${2:-32}"
bench="${FILTER_BENCH:-$build/bench/filter_bench}"
[[ -x "$bench" ]] || { echo "filters.sh: '$bench' not found; build the filter_bench target first" >&2; exit 2; }
for tool in openssl lz4 zstd gzip bzip2 awk; do
    command -v "$tool" >/dev/null || { echo "filters.sh: '$tool' is not installed" >&2; exit 2; }
done

work="$(mktemp -d /tmp/pgark-filter-bench-XXXXXX)"
trap 'rm -rf "$work"' EXIT

"$bench" --size "$sizeMiB" --dump "$work"
sets=(text half)

echo "running filter_bench on ${sizeMiB} MiB per data set..." >&2
ours="$work/ours.txt"
"$bench" --input "$work/text.dat" --input "$work/half.dat" | grep -v '^#' >"$ours"

# ref <set> <op> <tool label> <MB/s> <clock: wall|cpu> <tool out/in or ->
refs="$work/refs.txt"
: >"$refs"

# Best CPU seconds (user+sys) of three runs of a command whose output is discarded.
cpu_seconds() {
    local best="" t
    for _ in 1 2 3; do
        t=$( { TIMEFORMAT='%U %S'; time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2 }')
        if [[ -z "$best" ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$t"; fi
    done
    echo "$best"
}
mbps() { awk -v bytes="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.001; printf "%.1f", bytes / s / 1e6 }'; }

# openssl speed -mr prints "+F:<n>:<name>:<bytes per second>" for the one block size asked for.
openssl_speed() {
    openssl speed -mr "$@" -bytes 1048576 -seconds 3 2>/dev/null | awk -F: '/^\+F:/ { printf "%.1f", $4 / 1e6 }'
}
echo "running openssl speed..." >&2
sha1=$(openssl_speed -evp sha1)
aesEnc=$(openssl_speed -evp aes-256-cbc)
aesDec=$(openssl_speed -decrypt -evp aes-256-cbc)

for set in "${sets[@]}"; do
    file="$work/$set.dat"
    bytes=$(stat -c %s "$file")
    echo "running the reference tools on '$set'..." >&2
    echo "$set sha1 openssl-speed $sha1 cpu -" >>"$refs"
    echo "$set aes-256-cbc openssl-speed $aesEnc cpu -" >>"$refs"
    echo "$set aes-256-cbc-d openssl-speed-decrypt $aesDec cpu -" >>"$refs"

    # lz4/zstd draw progress lines with carriage returns; the last one holds the best speeds:
    # "... -> 1440336 (5.824), 582.4 MB/s ,4628.6 MB/s" (zstd writes the ratio as "x8.916").
    read -r ratio comp decomp < <(lz4 -b1 "$file" 2>&1 | tr '\r' '\n' |
        sed -nE 's/.*\(x?([0-9.]+)\), *([0-9.]+) MB\/s *, *([0-9.]+) MB\/s.*/\1 \2 \3/p' | tail -1)
    inv=$(awk -v r="$ratio" 'BEGIN { printf "%.4f", 1 / r }')
    echo "$set lz4-1 lz4-b1 $comp wall $inv" >>"$refs"
    echo "$set lz4-1-d lz4-b1 $decomp wall -" >>"$refs"
    read -r ratio comp decomp < <(zstd -b3 "$file" 2>&1 | tr '\r' '\n' |
        sed -nE 's/.*\(x?([0-9.]+)\), *([0-9.]+) MB\/s *, *([0-9.]+) MB\/s.*/\1 \2 \3/p' | tail -1)
    inv=$(awk -v r="$ratio" 'BEGIN { printf "%.4f", 1 / r }')
    echo "$set zst-3 zstd-b3 $comp wall $inv" >>"$refs"
    echo "$set zst-3-d zstd-b3 $decomp wall -" >>"$refs"

    gzip -6 -c "$file" >"$file.gz"
    gzRatio=$(awk -v a="$(stat -c %s "$file.gz")" -v b="$bytes" 'BEGIN { printf "%.4f", a / b }')
    echo "$set gz-6 gzip-6 $(mbps "$bytes" "$(cpu_seconds gzip -6 -c "$file")") cpu $gzRatio" >>"$refs"
    echo "$set gz-6-d gzip-d $(mbps "$bytes" "$(cpu_seconds gzip -dc "$file.gz")") cpu -" >>"$refs"
    bz2Ratio=$(awk -v a="$(bzip2 -9 -c "$file" | wc -c)" -v b="$bytes" 'BEGIN { printf "%.4f", a / b }')
    echo "$set bz2-9 bzip2-9 $(mbps "$bytes" "$(cpu_seconds bzip2 -9 -c "$file")") cpu $bz2Ratio" >>"$refs"
done

echo
echo "pgark filters vs reference tools, ${sizeMiB} MiB per data set (MB = 10^6 bytes of uncompressed data)"
awk '
    NR == FNR { wall[$1 " " $2] = $3; cpu[$1 " " $2] = $4; ratio[$1 " " $2] = $5; next }
    FNR == 1 {
        printf "| %-4s | %-13s | %10s | %-21s | %10s | %6s | %-5s | %-8s | %-8s |\n",
               "set", "operation", "pgark MB/s", "reference", "ref MB/s", "ratio", "clock", "pgark sz", "ref sz"
        printf "|------|---------------|------------|-----------------------|------------|--------|-------|----------|----------|\n"
    }
    {
        key = $1 " " $2
        if (!(key in wall)) next
        ours = ($5 == "wall") ? wall[key] : cpu[key]
        rel = ($4 > 0) ? sprintf("%.2f", ours / $4) : "-"
        size = ($6 == "-") ? "-" : sprintf("%.4f", ratio[key])
        printf "| %-4s | %-13s | %10.1f | %-21s | %10.1f | %6s | %-5s | %-8s | %-8s |\n",
               $1, $2, ours, $3, $4, rel, $5, size, $6
    }' "$ours" "$refs"
echo
echo "ratio = pgark MB/s / reference MB/s; sz = compressed bytes / input bytes."
